// The floors of src/, enforced: `npm run lint:deps` (run by scripts/test.sh right after Biome).
// From the bottom: evidence/ (the raw shapes, no verdicts) < parse/ (text in, evidence shapes out)
// < the chains' rooms (src/chains/<backend>/: collect and judge one backend) < diagnose/ services,
// fleet/, render/ < commands/ (oclif entry points). A rule below fails when a lower floor imports a
// higher one. Type-only imports count: they are followed (tsPreCompilationDeps), so a type cycle
// fails too. Measured on main at 8fe325e: every rule holds except the one known exception listed in
// no-circular. Check a change with `npx depcruise src` (the same as npm run lint:deps).

/** The one known cycle, type-only: fleet/cross.ts imports the type HostEvidence from fleet/fleet.ts,
 * which imports crossFindings from cross.ts. Moving HostEvidence out of fleet.ts removes it (under
 * way on another branch); then drop this pattern, its use in no-circular and its case in
 * test/cli/dependency-rules.test.ts. */
const KNOWN_CYCLE = '^src/fleet/(cross|fleet)\\.ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle between modules, type-only imports included. The only exception is KNOWN_CYCLE, to be dropped.',
      from: {},
      to: {
        circular: true,
        // a cycle made only of the two known files is excepted; any other module in a cycle fails
        via: {pathNot: KNOWN_CYCLE},
      },
    },
    {
      name: 'evidence-imports-nothing-of-ours',
      severity: 'error',
      comment: 'src/evidence/ is the bottom floor: the evidence shapes and their schema import no other module of src/.',
      from: {path: '^src/evidence/'},
      to: {path: '^src/', pathNot: '^src/evidence/'},
    },
    {
      name: 'parse-imports-only-parse-and-evidence',
      severity: 'error',
      comment: 'src/parse/ turns command and file text into evidence shapes: it imports only parse/ and evidence/.',
      from: {path: '^src/parse/'},
      to: {path: '^src/', pathNot: '^src/(parse|evidence)/'},
    },
    {
      name: 'chain-room-not-another-room',
      severity: 'error',
      comment:
        'A chain room (src/chains/<backend>/) never imports another room: what two backends share goes in ' +
        'src/chains/common/ or a file directly under src/chains/ (the registry, the runner).',
      from: {path: '^src/chains/([^/]+)/'},
      to: {path: '^src/chains/[^/]+/', pathNot: ['^src/chains/$1/', '^src/chains/common/']},
    },
    {
      name: 'chain-room-not-higher-floors',
      severity: 'error',
      comment: 'A chain room never imports fleet/, commands/ or render/: those floors sit above the chains and read their findings.',
      from: {path: '^src/chains/'},
      to: {path: '^src/(fleet|commands|render)/'},
    },
    {
      name: 'commands-not-chain-rooms',
      severity: 'error',
      comment:
        'A command reaches a chain only through the diagnose/ services or the files directly under src/chains/ ' +
        '(the registry), never a room (src/chains/<backend>/) directly.',
      from: {path: '^src/commands/'},
      to: {path: '^src/chains/[^/]+/'},
    },
    {
      name: 'nothing-imports-commands',
      severity: 'error',
      comment: 'src/commands/ is the top floor: oclif loads the commands from the manifest, no module of ours imports one.',
      from: {path: '^src/', pathNot: '^src/commands/'},
      to: {path: '^src/commands/'},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    exclude: {path: '^(dist|node_modules)/'},
    tsConfig: {fileName: 'tsconfig.json'},
    // follow `import type` and type-only specifiers too, so a type cycle is seen
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
    reporterOptions: {text: {highlightFocused: true}},
  },
}
