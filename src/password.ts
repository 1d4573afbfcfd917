// Where the password comes from: XFER_PASSWORD, --password-file, or a prompt on a terminal.
// Never argv (it shows up in ps and shell history).
import { readFile } from 'node:fs/promises';
import readline from 'node:readline';
import { errors } from './errors.js';

export async function getPassword(opts: { passwordFile?: string; jid: string }): Promise<string> {
  if (opts.passwordFile) {
    try {
      return (await readFile(opts.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (err: any) {
      throw errors.usage(`cannot read --password-file ${opts.passwordFile}: ${err.code ?? err.message}`);
    }
  }
  const env = process.env.XFER_PASSWORD;
  if (env !== undefined && env !== '') return env;
  if (process.stdin.isTTY && process.stderr.isTTY) return prompt(`password for ${opts.jid}: `);
  throw errors.usage('no password: set XFER_PASSWORD or use --password-file (no terminal to prompt on)');
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const rlAny = rl as any;
    let muted = false;
    const orig = rlAny._writeToOutput?.bind(rl);
    rlAny._writeToOutput = (s: string) => {
      if (!muted) orig?.(s);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
    rl.on('SIGINT', () => {
      rl.close();
      reject(errors.cancelled('interrupted'));
    });
  });
}
