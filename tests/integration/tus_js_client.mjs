// Drives tus-js-client (an independent tus implementation) against the
// portal. Usage:
//   node tus_js_client.mjs ENDPOINT COOKIE CSRF REQUEST FILE MODE [UPLOAD_URL]
// MODE "full": uploads the whole file, prints "DONE <url>".
// MODE "interrupt": aborts after the second chunk, prints "PARTIAL <url> <offset>".
// MODE "resume": continues UPLOAD_URL from the server's offset, prints "DONE <url>".
// MODE "defaults": one PATCH for the whole file and the default retry delays
//   ([0, 1000, 3000, 5000]); prints "STATUS <method> <code>" for every answer
//   and "DONE <url>" (used through a proxy that cuts the connection).
import fs from 'node:fs';
import path from 'node:path';
import * as tus from 'tus-js-client';

const [endpoint, cookie, csrf, requestId, file, mode, uploadUrl] = process.argv.slice(2);
const data = fs.readFileSync(file);
let chunks = 0;
const defaults = mode === 'defaults';
const upload = new tus.Upload(data, {
  endpoint,
  uploadUrl: mode === 'resume' ? uploadUrl : undefined,
  ...(defaults ? {} : { chunkSize: 100 * 1024, retryDelays: [0, 200, 500] }),
  onAfterResponse(req, res) {
    if (defaults) console.log(`STATUS ${req.getMethod()} ${res.getStatus()}`);
  },
  headers: { Cookie: cookie, 'X-CSRF-Token': csrf },
  metadata: { request: requestId, kind: 'other', filename: path.basename(file) },
  onChunkComplete(chunkSize, accepted) {
    chunks++;
    if (mode === 'interrupt' && chunks === 2) {
      upload.abort(false).then(() => {
        console.log(`PARTIAL ${upload.url} ${accepted}`);
        process.exit(0);
      });
    }
  },
  onError(err) {
    console.log(`ERROR ${err}`);
    process.exit(1);
  },
  onSuccess() {
    console.log(`DONE ${upload.url}`);
    process.exit(0);
  },
});
upload.start();
