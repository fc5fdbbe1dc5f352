// The emulator's conformance scenarios through @google-cloud/storage (the same ones the .NET suite runs).
// run.sh starts the emulator and passes its address in EMULATOR_URL.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Storage } from '@google-cloud/storage';

const endpoint = process.env.EMULATOR_URL;
if (!endpoint) throw new Error('EMULATOR_URL is not set: run these tests through run.sh');
const storage = new Storage({ apiEndpoint: endpoint, projectId: 'test' });

async function control(path, method, body) {
  const response = await fetch(`${endpoint}/emulator/v1/${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status}`);
  return response.status === 200 ? response.json() : null;
}

let counter = 0;
async function newBucket() {
  const [bucket] = await storage.createBucket(`node-${process.pid}-${Date.now()}-${counter++}`);
  return bucket;
}

function randomBytes(length) {
  return crypto.randomBytes(length);
}

async function statusOf(promise) {
  try {
    await promise;
  } catch (e) {
    return e.code;
  }
  return 'no error';
}

before(async () => {
  await control('faults', 'DELETE');
});

test('lists 2,500 objects in pages, with prefix and delimiter', async () => {
  const bucket = await newBucket();
  const expected = [];
  for (let i = 0; i < 2500; i++) expected.push(`data/d${i % 5}/f${String(i).padStart(4, '0')}`);
  const queue = [...expected, 'data/top.txt', 'other.txt'];
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (queue.length > 0) {
      const name = queue.pop();
      await bucket.file(name).save(Buffer.from(name), { resumable: false });
    }
  }));
  expected.sort();

  await control('requests', 'DELETE');
  const [files] = await bucket.getFiles({ prefix: 'data/d' });
  assert.deepEqual(files.map(f => f.name), expected);
  const counts = await control('requests', 'GET');
  assert.equal(counts.ListObjects, 3, 'three pages of at most 1,000');

  const names = [];
  let query = { prefix: 'data/d', maxResults: 1000, autoPaginate: false };
  let pages = 0;
  while (query) {
    const [page, next] = await bucket.getFiles(query);
    names.push(...page.map(f => f.name));
    query = next;
    pages++;
  }
  assert.deepEqual(names, expected);
  assert.equal(pages, 3);

  const [items, , response] = await bucket.getFiles({ prefix: 'data/', delimiter: '/', autoPaginate: false });
  assert.deepEqual(response.prefixes, ['data/d0/', 'data/d1/', 'data/d2/', 'data/d3/', 'data/d4/']);
  assert.deepEqual(items.map(f => f.name), ['data/top.txt']);
});

test('range reads return the requested bytes', async () => {
  const bucket = await newBucket();
  const data = randomBytes(100_000);
  const file = bucket.file('ranged.bin');
  await file.save(data, { resumable: false });
  assert.deepEqual((await file.download({ start: 10, end: 19 }))[0], data.subarray(10, 20));
  assert.deepEqual((await file.download({ start: 99_000 }))[0], data.subarray(99_000));
  assert.deepEqual((await file.download({ start: 50_000, end: 500_000 }))[0], data.subarray(50_000));
  assert.deepEqual((await file.download())[0], data);
});

test('a 25 MiB chunked resumable upload survives a failed chunk', async () => {
  const bucket = await newBucket();
  const data = randomBytes(25 * 1024 * 1024);
  const chunkSize = 4 * 1024 * 1024;
  // The third chunk's connection is reset half-way through its body.
  await control('faults', 'POST', {
    kind: 'ResetConnection', requestKind: 'Upload', method: 'PUT', objectName: 'big.bin', skip: 2, afterBytes: chunkSize / 2,
  });
  const before = (await control('faults', 'GET')).triggered;
  // A Storage of its own: File.save without a precondition turns retries off on the Storage it belongs to.
  const file = new Storage({ apiEndpoint: endpoint, projectId: 'test' }).bucket(bucket.name).file('big.bin');
  // Node retries (and so resumes) only uploads that carry a precondition, which makes them idempotent.
  await file.save(data, { resumable: true, chunkSize, validation: 'crc32c', preconditionOpts: { ifGenerationMatch: 0 } });
  assert.equal((await control('faults', 'GET')).triggered, before + 1);
  const [metadata] = await file.getMetadata();
  assert.equal(Number(metadata.size), data.length);
  assert.equal(metadata.md5Hash, crypto.createHash('md5').update(data).digest('base64'));
  const [downloaded] = await file.download();
  assert.ok(downloaded.equals(data));
});

test('ifGenerationMatch=0 on an existing object is 412', async () => {
  const bucket = await newBucket();
  const file = bucket.file('once.txt');
  await file.save('v1', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
  const [first] = await file.getMetadata();
  assert.equal(await statusOf(file.save('v2', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })), 412);
  assert.equal(await statusOf(file.save('v2', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } })), 412);
  const [current] = await file.getMetadata();
  assert.equal(current.generation, first.generation);
  await file.save('v2', { resumable: false, preconditionOpts: { ifGenerationMatch: first.generation } });
  const [second] = await file.getMetadata();
  assert.ok(BigInt(second.generation) > BigInt(first.generation));
});

test('a wrong CRC32C is refused with 400 and creates nothing', async () => {
  const bucket = await newBucket();
  const file = bucket.file('bad-crc.txt');
  const status = await statusOf(file.save('checked bytes', {
    resumable: false, validation: false, metadata: { crc32c: Buffer.from([1, 2, 3, 4]).toString('base64') },
  }));
  assert.equal(status, 400);
  const [exists] = await file.exists();
  assert.equal(exists, false);
});

test('metadata patch merges, removes keys and bumps the metageneration', async () => {
  const bucket = await newBucket();
  const file = bucket.file('meta.txt');
  await file.save('x', { resumable: false, metadata: { metadata: { keep: '1', drop: '2' } } });
  const [before] = await file.getMetadata();
  const [after] = await file.setMetadata({ contentType: 'text/plain', metadata: { add: '3', drop: null } });
  assert.deepEqual(after.metadata, { keep: '1', add: '3' });
  assert.equal(after.contentType, 'text/plain');
  assert.equal(Number(after.metageneration), Number(before.metageneration) + 1);
  assert.equal(after.generation, before.generation);
  assert.equal(await statusOf(file.setMetadata({ metadata: { big: 'x'.repeat(8200) } })), 400);
});

test('copy makes a new object with the same bytes and metadata', async () => {
  const bucket = await newBucket();
  const data = randomBytes(300_000);
  const source = bucket.file('src/a.bin');
  await source.save(data, { resumable: false, metadata: { contentType: 'application/x-test', metadata: { k: 'v' } } });
  const [copy] = await source.copy(bucket.file('dst/b.bin'));
  const [sourceMetadata] = await source.getMetadata();
  const [copyMetadata] = await copy.getMetadata();
  assert.equal(copyMetadata.crc32c, sourceMetadata.crc32c);
  assert.equal(copyMetadata.contentType, 'application/x-test');
  assert.equal(copyMetadata.metadata.k, 'v');
  assert.ok((await copy.download())[0].equals(data));
  assert.equal(await statusOf(bucket.file('missing').copy(bucket.file('x'))), 404);
});

test('delete removes the object', async () => {
  const bucket = await newBucket();
  const file = bucket.file('gone.txt');
  await file.save('bye', { resumable: false });
  await file.delete();
  assert.equal((await file.exists())[0], false);
  assert.equal(await statusOf(file.delete()), 404);
});

const awkwardNames = [
  'with space.txt', '100%.txt', 'a+b.txt', 'hash#tag', 'what?.txt', 'unicodé/日本語/😀.txt',
  'folder/', 'a//b', '%2F literally', './x', '../up', "&=;,@$!'()*",
];
for (const name of awkwardNames) {
  test(`awkward name round-trips: ${name}`, async () => {
    const bucket = await newBucket();
    const data = Buffer.from(`content of ${name}`);
    const file = bucket.file(name);
    await file.save(data, { resumable: false });
    const [metadata] = await file.getMetadata();
    assert.equal(metadata.name, name);
    assert.ok((await file.download())[0].equals(data));
    const [listed] = await bucket.getFiles({ prefix: name });
    assert.deepEqual(listed.map(f => f.name), [name]);
    const [patched] = await file.setMetadata({ metadata: { n: name } });
    assert.equal(patched.metadata.n, name);
    await file.copy(bucket.file(`${name}.copy`));
    await file.delete();
    const [remaining] = await bucket.getFiles();
    assert.deepEqual(remaining.map(f => f.name), [`${name}.copy`]);
  });
}
