// Some dependencies' .d.ts files say `/// <reference types="node" />`, which would quietly give src/ Node's
// globals (Buffer, process…). src/tsconfig.json resolves that reference here instead, to nothing, so a use of a
// Node global in the core fails to type-check as it would fail to run in workerd.
export {};
