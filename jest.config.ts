import type { Config } from "jest";

const config: Config = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages", "<rootDir>/examples", "<rootDir>/scripts", "<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.jest.json" }],
  },
  moduleNameMapper: {
    "^@duplex/engine/client$": "<rootDir>/packages/engine/src/client/index.ts",
    "^@duplex/(engine|protocol|server|client|redis-adapter)$": "<rootDir>/packages/$1/src/index.ts",
  },
  testTimeout: 30000,
};

export default config;
