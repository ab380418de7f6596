/**
 * Exit codes are a public contract, the same for every command, with and without --json:
 *   0  done / healthy
 *   1  a check failed (the thing inspected is not in the wanted state)
 *   2  bad usage or bad input (unknown flag, malformed net-id, a file that is not an ini file)
 *   3  cannot inspect or apply (file missing or unreadable, not root, tool missing, API unreachable)
 */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  CANNOT: 3,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** An error the operator can act on: one line of text, a stable code, an exit status. */
export class QmError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exit: ExitCode,
  ) {
    super(message)
    this.name = 'QmError'
  }
}

export const usageError = (code: string, message: string) => new QmError(code, message, EXIT.USAGE)
export const cannotError = (code: string, message: string) => new QmError(code, message, EXIT.CANNOT)

/** Text of a Node system error such as ENOENT/EACCES, without the JS stack noise. */
export function describeSystemError(err: unknown): string {
  const e = err as NodeJS.ErrnoException
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory'
    case 'EACCES':
      return 'permission denied'
    case 'EPERM':
      return 'operation not permitted'
    case 'EROFS':
      return 'read-only file system'
    case 'EISDIR':
      return 'is a directory'
    case 'ENOSPC':
      return 'no space left on device'
    case 'ELOOP':
      return 'too many levels of symbolic links'
    default:
      return e?.message ?? String(err)
  }
}
