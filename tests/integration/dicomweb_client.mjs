// Drives dicomweb-client (npm; the DICOMweb client OHIF is built on) against the portal's
// DICOMweb server, and prints what it got as one JSON line.
// Usage: node dicomweb_client.mjs BASE_URL CREDENTIAL STUDY SERIES INSTANCE
//   CREDENTIAL is "Bearer sop_…" (a personal access token, sent as Authorization through the
//   client's headers option, as OHIF is configured) or a session's Cookie header value.
//   searches studies (PatientName=DOE*), the study's series and the series' instances,
//   retrieves the study's metadata, the instance (whole file) and frame 1 of the instance.
import crypto from 'node:crypto';
import XHR from 'xhr2';
import dwc from 'dicomweb-client';

// Node has no XMLHttpRequest: xhr2 is the polyfill dicomweb-client's own tests use. Like a
// browser, it refuses to set Cookie; a machine client sends one all the same.
XHR.prototype._restrictedHeaders = { ...XHR.prototype._restrictedHeaders };
delete XHR.prototype._restrictedHeaders.cookie;
globalThis.XMLHttpRequest = XHR;

const [url, credential, studyInstanceUID, seriesInstanceUID, sopInstanceUID] = process.argv.slice(2);
const headers = credential.startsWith('Bearer ') ? { Authorization: credential } : { Cookie: credential };
const client = new dwc.api.DICOMwebClient({ url, headers });
const sha = (buf) => crypto.createHash('sha256').update(Buffer.from(buf)).digest('hex');
const v = (o, tag) => (o[tag] && o[tag].Value ? o[tag].Value[0] : null);

try {
  const studies = await client.searchForStudies({ queryParams: { PatientName: 'DOE*' } });
  const series = await client.searchForSeries({ studyInstanceUID });
  const instances = await client.searchForInstances({ studyInstanceUID, seriesInstanceUID });
  const metadata = await client.retrieveStudyMetadata({ studyInstanceUID });
  const instance = await client.retrieveInstance({ studyInstanceUID, seriesInstanceUID, sopInstanceUID });
  const frames = await client.retrieveInstanceFrames({
    studyInstanceUID, seriesInstanceUID, sopInstanceUID, frameNumbers: [1],
  });
  console.log(JSON.stringify({
    studies: studies.map((s) => v(s, '0020000D')),
    names: studies.map((s) => v(s, '00100010')),
    series: series.map((s) => v(s, '0020000E')),
    instances: instances.map((s) => v(s, '00080018')),
    metadata: metadata.map((m) => ({
      sop: v(m, '00080018'), rows: v(m, '00280010'), columns: v(m, '00280011'), bits_stored: v(m, '00280101'),
      accession: v(m, '00080050'), name: v(m, '00100010'), date: v(m, '00080020'), number: v(m, '00200013'),
    })),
    instance_sha256: sha(instance),
    frames: frames.map((f) => ({ sha256: sha(f), bytes: f.byteLength })),
  }));
} catch (err) {
  console.log(`ERROR ${err && err.status ? err.status : ''} ${err && err.message ? err.message : err}`);
  process.exit(1);
}
