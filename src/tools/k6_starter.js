// perfplan's k6 starter: waits until every runner is paused and ready, then resumes
// them all at once through k6's REST API (the same calls `k6 status` and `k6 resume`
// make: GET and PATCH /v1/status).
//
// One k6 process sends the resumes in parallel with http.batch (at most `--batch`
// in flight), so the start skew does not grow with the runner count the way a loop
// of `k6 resume` processes does (about 26 ms per runner: 2.6 s at 100 runners).
// Readiness is checked as "paused", not only "answers": a runner that was not
// started with --paused answers too, and would already be running.
import http from 'k6/http';
import exec from 'k6/execution';
import { sleep } from 'k6';

const total = parseInt(__ENV.RUNNERS_TOTAL, 10);
const waitSeconds = parseInt(__ENV.WAIT_SECONDS, 10);
const url = (i) => `http://${__ENV.RUNNER_JOB}-${i}.${__ENV.RUNNER_SERVICE}:${__ENV.RUNNER_API_PORT}/v1/status`;

export const options = {
  scenarios: {
    start: { executor: 'shared-iterations', vus: 1, iterations: 1, maxDuration: `${waitSeconds + 60}s` },
  },
};

function attributes(res) {
  try {
    return res.status === 200 ? res.json('data.attributes') : null;
  } catch (e) {
    return null;
  }
}

// One runner at a time: a runner stays paused until resumed, so each needs to be
// seen paused once. Failed lookups and refused connections are expected while pods
// start; k6 logs each as a warning, at most two a second.
function waitUntilAllPaused() {
  const deadline = Date.now() + waitSeconds * 1000;
  for (let i = 0; i < total; ) {
    const res = http.get(url(i), { timeout: '5s' });
    const status = attributes(res);
    if (status && status.paused === true) {
      i++;
      continue;
    }
    if (Date.now() > deadline) {
      const why = status ? 'it is not paused (was it started with --paused?)' : `no answer: ${res.error || res.status}`;
      exec.test.abort(
        `perfplan: gave up after ${waitSeconds}s waiting for ${total} k6 runners to be paused and ready: ` +
          `${url(i)}: ${why}; see kubectl get pods --selector ${__ENV.RUNNER_SELECTOR}`,
      );
    }
    sleep(0.5);
  }
}

function resumeAll() {
  const body = JSON.stringify({ data: { type: 'status', id: 'default', attributes: { paused: false } } });
  const params = { headers: { 'Content-Type': 'application/json' }, timeout: '10s' };
  const requests = [];
  for (let i = 0; i < total; i++) requests.push(['PATCH', url(i), body, params]);
  const started = Date.now();
  const responses = http.batch(requests);
  const failed = [];
  responses.forEach((res, i) => {
    const status = attributes(res);
    if (!status || status.paused !== false) failed.push(`${url(i)} (${res.error || res.status})`);
  });
  if (failed.length > 0) {
    exec.test.abort(`perfplan: ${failed.length} of ${total} k6 runners did not resume: ${failed.slice(0, 5).join(', ')}`);
  }
  console.log(`perfplan: resumed all ${total} k6 runners in ${Date.now() - started} ms`);
}

export default function () {
  console.log(`perfplan: waiting up to ${waitSeconds}s for ${total} k6 runners to be paused and ready`);
  waitUntilAllPaused();
  resumeAll();
}
