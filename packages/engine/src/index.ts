export const PROTOCOL = 4;
