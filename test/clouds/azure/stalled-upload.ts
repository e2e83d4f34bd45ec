/**
 * A child process for the kill test: uploads one blob into an Azurite container through AzureBlobDestination from a
 * source that sends the first half of the bytes and then stalls, so the parent can kill it in the middle of a copy.
 * Arguments: container URL, account, key, file of the blob's bytes, digest, block size.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzureBlobDestination } from '../../../lib/clouds/azure/destination';

const [containerUrl, account, key, file, digest, blockSize] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const bytes = readFileSync(file);
const stalled = new Readable({ read() {} });
// In chunks of 16 KiB: the destination's digest check holds back only the latest chunk, the others flow into blocks.
for (let offset = 0; offset < bytes.length >> 1; offset += 16 * 1024)
  stalled.push(bytes.subarray(offset, Math.min(offset + 16 * 1024, bytes.length >> 1)));
// Nothing else keeps the process alive while the source stalls; the parent kills it.
setInterval(() => {}, 1 << 30);

const container = new ContainerClient(containerUrl, new StorageSharedKeyCredential(account, key));
void new AzureBlobDestination({ container, blockSize: Number(blockSize) }).ensureBlob(
  { repository: 'app', digest, tags: [] },
  { mediaType: 'application/octet-stream', digest, size: bytes.length },
  { host: 'source.invalid', repository: 'images/app', open: async () => stalled },
);
