// Drives MedNode with the dicomweb-client npm package (0.11) in Node and prints what it got as JSON on stdout.
// Usage: node dicomweb-client-check.cjs BASE_URL STUDY SERIES SOP STOW_FILE
// The xunit test DicomWebClientTests compares the output with the corpus and DCMTK's values.
global.XMLHttpRequest = require('xhr2');
const { api } = require('dicomweb-client');
const crypto = require('crypto');
const fs = require('fs');

const [url, studyInstanceUID, seriesInstanceUID, sopInstanceUID, stowFile] = process.argv.slice(2);
const sha256 = (buffer) => crypto.createHash('sha256').update(Buffer.from(buffer)).digest('hex');
const value = (dataset, tag) => (dataset[tag] && dataset[tag].Value ? dataset[tag].Value[0] : null);

(async () => {
  const client = new api.DICOMwebClient({ url });
  const out = {};
  const studies = await client.searchForStudies({ queryParams: { StudyInstanceUID: studyInstanceUID } });
  out.studies = studies.map((s) => value(s, '0020000D'));
  const series = await client.searchForSeries({ studyInstanceUID });
  out.series = series.map((s) => value(s, '0020000E'));
  const instances = await client.searchForInstances({ studyInstanceUID, seriesInstanceUID });
  out.instances = instances.map((i) => value(i, '00080018'));

  const metadata = await client.retrieveInstanceMetadata({ studyInstanceUID, seriesInstanceUID, sopInstanceUID });
  out.metadataSop = value(metadata[0], '00080018');
  out.metadataRows = value(metadata[0], '00280010');

  const instance = await client.retrieveInstance({ studyInstanceUID, seriesInstanceUID, sopInstanceUID });
  out.instanceSha256 = sha256(instance);

  const frames = await client.retrieveInstanceFrames({ studyInstanceUID, seriesInstanceUID, sopInstanceUID, frameNumbers: [1] });
  out.frameLengths = frames.map((f) => f.byteLength);
  out.frameSha256 = sha256(Buffer.concat(frames.map((f) => Buffer.from(f))));

  const bytes = fs.readFileSync(stowFile);
  const stowed = await client.storeInstances({ datasets: [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)] });
  out.stowResponseType = typeof stowed;
  out.stowSha256 = sha256(bytes);
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
