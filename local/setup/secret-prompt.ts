/**
 * Interactive prompts for the operator CLI. The client secret is read without echo, so it never
 * lands in the terminal's scrollback or in shell history (it is never taken from argv).
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** Asks one question; `secret` hides what is typed. */
export type Prompt = (question: string, options: { secret: boolean }) => Promise<string>;

/** A prompt on the process's terminal; undefined when stdin is not a TTY (scripts use env). */
export function terminalPrompt(): Prompt | undefined {
  if (process.stdin.isTTY !== true) return undefined;
  return (question, { secret }) =>
    new Promise((done) => {
      let muted = false;
      const output = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (!muted) process.stderr.write(chunk);
          callback();
        },
      });
      const rl = createInterface({ input: process.stdin, output, terminal: true });
      rl.question(question, (answer) => {
        rl.close();
        if (secret) process.stderr.write('\n');
        done(answer.trim());
      });
      muted = secret;
    });
}
