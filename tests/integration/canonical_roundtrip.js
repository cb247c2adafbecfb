// Reads lines on stdin, each `BODY` or `BODY SOURCE` (base64 of UTF-8 JSON texts), and answers one line for each:
// `ok` when JSON.stringify(JSON.parse(BODY)) is BODY byte for byte (and, given SOURCE, JSON.stringify(JSON.parse(SOURCE))
// is BODY too: Carrier wrote the value JS reads from the source), else `differs <base64 of what JSON.stringify wrote>`
// or `error <message>`. Used by tests/integration/test_canonical_node.py: one node process for every body.
'use strict';
const readline = require('readline');

function again(raw) {
  return Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))), 'utf8');
}

const answers = [];
readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on('line', (line) => {
    const [body, source] = line.split(' ').map((part) => Buffer.from(part, 'base64'));
    try {
      const written = again(body);
      const fromSource = source === undefined ? written : again(source);
      if (!written.equals(body)) {
        answers.push('differs ' + written.toString('base64'));
      } else if (!fromSource.equals(body)) {
        answers.push('differs ' + fromSource.toString('base64') + ' (from the source)');
      } else {
        answers.push('ok');
      }
    } catch (err) {
      answers.push('error ' + String(err.message).replace(/\s+/g, ' '));
    }
  })
  .on('close', () => process.stdout.write(answers.map((a) => a + '\n').join('')));
