// Types for scripts/system-deps.js (plain CommonJS, run by `npm test` before
// anything is installed or built), so that its test is type-checked.

export interface RequiredProgram {
  program: string;
  debianPackage: string;
}

export type Decision =
  | { action: "none" }
  | { action: "install"; packages: string[] }
  | { action: "explain"; message: string };

export const REQUIRED: RequiredProgram[];
export function searchDirs(pathVariable: string | undefined): string[];
export function findMissing(required: RequiredProgram[], dirs: string[]): RequiredProgram[];
export function decide(input: { missing: RequiredProgram[]; isRoot: boolean; hasAptGet: boolean }): Decision;
export function installCommand(packages: string[], options: { asRoot: boolean }): string;
export function main(options?: {
  dirs?: string[];
  isRoot?: boolean;
  run?: (command: string, args: string[]) => number;
  log?: (line: string) => void;
  logError?: (line: string) => void;
  required?: RequiredProgram[];
}): number;
