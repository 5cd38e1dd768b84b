// The peer for bench/upload.sh: the Node.js reference tus server
// (@tus/server with @tus/file-store, from bench/package.json) as its README
// sets it up. It neither encrypts nor syncs. Prints "listening on PORT".
//   node bench/tus_node_server.mjs DIR
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const directory = process.argv[2];
if (!directory) {
  console.error('usage: node bench/tus_node_server.mjs DIR');
  process.exit(2);
}
const server = new Server({ path: '/files', datastore: new FileStore({ directory }) });
const http = server.listen({ host: '127.0.0.1', port: 0 }, () => {
  console.log(`listening on ${http.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
