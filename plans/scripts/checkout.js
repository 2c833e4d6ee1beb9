// Checkout journey. The load shape (VUs, ramp-up, duration, this runner's execution
// segment) comes from the plan; this file defines one iteration.
import http from 'k6/http';
import { check, group, sleep } from 'k6';

const base = __ENV.TARGET_URL;

export default function () {
  group('browse', () => {
    const res = http.get(`${base}/products?page=1`, { tags: { name: 'products' } });
    check(res, { 'catalogue 200': (r) => r.status === 200 });
  });
  group('checkout', () => {
    const res = http.post(`${base}/cart`, JSON.stringify({ sku: 'SKU-1', qty: 1 }), {
      headers: { 'Content-Type': 'application/json' },
      tags: { name: 'cart' }, // the request's name in results and thresholds
    });
    check(res, { 'added to cart': (r) => r.status === 201 });
  });
  sleep(1);
}
