// The floors of src/, enforced: `npm run lint:deps` (run by scripts/test.sh right after Biome).
// From the bottom: evidence/ (the raw shapes, no verdicts) < parse/ (text in, evidence shapes out)
// < deployments/ (how a node runs its services, told from parsed files) and sources/ (a node's files
// and commands: live, under a root, a sosreport) < the chains (src/chains/<backend>/, each a room that
// collects and judges one backend; chains/common/ what rooms share) < diagnose/ services, fleet/,
// render/ < commands/ (oclif entry points). A rule below fails when a lower floor imports a higher
// one. Type-only imports count: they are followed (tsPreCompilationDeps), so a type cycle fails too.
// Measured after the h-habits merge (186 modules, 789 dependencies): every rule holds, no exception.
// Check a change with `npx depcruise src` (the same as npm run lint:deps).

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle between modules, type-only imports included.',
      from: {},
      to: {circular: true},
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
      name: 'deployments-imports-only-parse-and-evidence',
      severity: 'error',
      comment:
        'src/deployments/ tells how a node runs its services from what parse/ read: the chains, config/, ' +
        'system/ and layout.ts ask it for restarts, so it imports only deployments/, parse/ and evidence/.',
      from: {path: '^src/deployments/'},
      to: {path: '^src/', pathNot: '^src/(deployments|parse|evidence)/'},
    },
    {
      name: 'sources-below-the-chains',
      severity: 'error',
      comment:
        "src/sources/ reads a node's files and runs its commands (live, under a root, from a sosreport) for the " +
        'collectors: it never imports the chains, diagnose/, fleet/, render/ or commands/.',
      from: {path: '^src/sources/'},
      to: {path: '^src/(chains|diagnose|fleet|render|commands)/'},
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
      comment:
        'Nothing under src/chains/ imports diagnose/, fleet/, commands/ or render/: those floors sit above the chains ' +
        'and run them or read their findings.',
      from: {path: '^src/chains/'},
      to: {path: '^src/(diagnose|fleet|commands|render)/'},
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
