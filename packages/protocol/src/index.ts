export const PROTOCOL = 5;
