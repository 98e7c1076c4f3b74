export { doctor, type DoctorOptions } from "./doctor";
export { formatReport } from "./format";
export { main } from "./main";
export { ExitCode, type Finding, type FindingCode, type Kind, type Report, type Timings, type TransportReport } from "./report";
export type { Handshake } from "./answer";
