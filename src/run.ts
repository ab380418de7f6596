// The entry bin/run.js loads: oclif's execute, bundled with the commands' own copy of @oclif/core
// (see scripts/build.mjs), so the binary never loads oclif from node_modules.
export {execute} from '@oclif/core/execute'
