// A k6 script for perfplan: the load shape (VUs, ramp-up, duration) comes from the
// plan, so this file defines only what one iteration does.
import http from 'k6/http';
import { check, sleep } from 'k6';

const base = __ENV.TARGET_URL;

export default function () {
  const res = http.get(`${base}/`);
  check(res, { 'status is 200': (r) => r.status === 200 });
  sleep(1);
}
