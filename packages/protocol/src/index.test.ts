import { PROTOCOL } from "@duplex/protocol";
test("protocol", () => { expect(PROTOCOL).toBe(5); });
