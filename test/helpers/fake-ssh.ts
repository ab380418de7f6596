// A stand-in for the OpenSSH client, first on PATH: `ssh -G DEST` prints a login user, any other
// call runs the given bash body (its "$@" is ssh's argv). For the CLI's ssh transport without sshd.
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

/** Write DIR/bin/ssh and return the env that puts it first on PATH. */
export function fakeSsh(dir: string, body: string, user = 'root'): NodeJS.ProcessEnv {
  const bin = join(dir, 'bin')
  mkdirSync(bin, {recursive: true})
  const ssh = join(bin, 'ssh')
  writeFileSync(ssh, `#!/bin/bash\nfor a in "$@"; do if [ "$a" = -G ]; then echo 'user ${user}'; exit 0; fi; done\n${body}\n`)
  chmodSync(ssh, 0o755)
  return {PATH: `${bin}:${process.env.PATH}`}
}
