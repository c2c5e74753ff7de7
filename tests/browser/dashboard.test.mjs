// The dashboard in a real browser (Debian's Chromium through playwright-core)
// against a running hub set up by run-dashboard-test:
//   node dashboard.test.mjs HUB_URL ERP_URL ARTIFACT_DIR
// A viewer signs in and sees the flows and a dead letter (with its Chinese
// customer name) but no replay button; an operator opens the flow's runs,
// creates the missing ERP customer, presses Replay and sees the dead letter
// leave the list and the order reach the ERP. The Reconciliation view shows the run seeded
// before the hub started: per group, the chart of differences, the differing documents with
// both values; an operator runs it again. Screenshots go to ARTIFACT_DIR.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const [hubUrl, erpUrl, artifacts] = process.argv.slice(2);
const OPERATOR = 'operator-secret', VIEWER = 'viewer-secret';
const step = (text) => console.log('dashboard test: ' + text);

async function api(path) {
  const r = await fetch(hubUrl + path, { headers: { Authorization: 'Bearer ' + OPERATOR } });
  assert.equal(r.status, 200, path);
  return r.json();
}

// Waits until `locator` matches nothing (it may match several elements meanwhile).
async function gone(locator, what) {
  for (let i = 0; i < 200; ++i) {
    if ((await locator.count()) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(what + ' is still shown');
}

async function signIn(page, token) {
  await page.goto(hubUrl + '/');
  await page.locator('#sign-in').waitFor({ state: 'visible' });
  await page.fill('#token', token);
  await page.click('#sign-in button[type=submit]');
}

// The seeded reconciliation (run-dashboard-test): SO-2's total is a cent off and SO-3's customer
// differs on 2024-03-01 / 03-02, SO-4 is missing from the ERP, SO-7 is extra.
async function reconciliationSteps(op) {
  step('the reconciliation list shows the seeded run with its differences');
  await op.click('#nav-reconciliation');
  const row = op.locator('#reconciliations tr[data-reconciliation="orders_books"]');
  await row.locator('[data-result=differs]', { hasText: '4 differences' }).waitFor();
  assert.match(await row.textContent(), /books_crm\.orders → books_erp\.orders/);
  assert.match(await row.textContent(), /every 1h\s*next /, 'scheduled: when it runs next');
  await op.screenshot({ path: artifacts + '/dashboard-reconciliations.png', fullPage: true });

  step('one reconciliation: its groups, the chart of its runs and the documents that differ');
  await row.click();
  await op.locator('h1', { hasText: 'orders_books' }).waitFor();
  const day1 = op.locator('#groups tr[data-group="2024-03-01"]');
  await day1.waitFor();
  assert.match(await day1.getAttribute('class'), /differs/, 'a group that differs is highlighted');
  const cells = await day1.locator('td').allTextContents();
  assert.deepEqual(cells, ['2024-03-01', '2', '2', '55.1', '55.11', '+0.01'], 'counts, both totals and the exact difference');
  assert.deepEqual(await op.locator('#groups tr[data-group="2024-03-02"] td').allTextContents(),
    ['2024-03-02', '2', '2', '112.49', '22.5', '−89.99']);
  const missing = op.locator('table.documents[data-class=missing] tr[data-document="SO-4"]');
  await missing.waitFor();
  assert.match(await missing.textContent(), /SO-4.*2024-03-02/);
  await op.locator('table.documents[data-class=extra] tr[data-document="SO-7"]').waitFor();
  const renamed = op.locator('table.documents[data-class=different] tr[data-document="SO-3"]');
  assert.match(await renamed.textContent(), /customer: 深圳新客户有限公司 → 深圳新客户公司/);
  assert.match(await op.locator('table.documents[data-class=different] tr[data-document="SO-2"]').textContent(), /total: 35 → 35\.01/);
  const chart = op.locator('#reconciliation-chart');
  assert.equal(await chart.locator('rect.bar').count(), 1, 'one run so far');
  const labels = await chart.locator('text.axis').allTextContents();
  assert.ok(labels.includes('0') && labels.includes('4'), 'a y axis up to the differences found: ' + labels);
  assert.ok(labels.some((l) => /^(\d\d-\d\d )?\d\d:\d\d$/.test(l)), 'the run\'s time on the x axis: ' + labels);

  step('an operator runs it again; the chart shows both runs');
  await op.click('button[data-action=run-now]');
  for (let i = 0; i < 200 && (await chart.locator('rect.bar').count()) < 2; ++i) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await chart.locator('rect.bar').count(), 2, 'the second run is drawn');
  await op.locator('h1 [data-result=differs]', { hasText: '4 differences' }).waitFor();
  await op.screenshot({ path: artifacts + '/dashboard-reconciliation.png', fullPage: true });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // --no-sandbox: tests run as root in CI; the others keep Chromium off the (closed) network.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const pageErrors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });  // a laptop screen
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(20000);

  step('a wrong token is refused');
  await signIn(page, 'not-a-token');
  await page.locator('#sign-in-error', { hasText: 'not accepted' }).waitFor();

  step('a viewer sees the flows and the dead letter, without replay buttons');
  await page.fill('#token', VIEWER);
  await page.click('#sign-in button[type=submit]');
  const flowRow = page.locator('#flows tr[data-flow="orders_to_erp"]');
  await flowRow.waitFor();
  assert.match(await flowRow.textContent(), /files\.orders → erp\.sale_orders/);
  assert.equal(await page.locator('#role').textContent(), 'viewer');
  await page.locator('#dlq-count', { hasText: '1' }).waitFor();
  await page.click('#nav-dlq');
  const letterRow = page.locator('#dlq tbody tr[data-dead-letter]').first();
  await letterRow.waitFor();
  assert.match(await letterRow.textContent(), /unknown customer CUS-000002/);
  assert.equal(await page.locator('#dlq button[data-action=replay]').count(), 0, 'a viewer has no replay button');
  await page.click('#nav-reconciliation');
  await page.locator('#reconciliations tr[data-reconciliation="orders_books"]', { hasText: '4 differences' }).waitFor();
  assert.equal(await page.locator('button[data-action=run-now]').count(), 0, 'a viewer has no run-now button');
  await context.close();

  step('an operator sees the flow, its state and its runs');
  const opContext = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const op = await opContext.newPage();
  op.on('pageerror', (e) => pageErrors.push(String(e)));
  op.setDefaultTimeout(20000);
  await signIn(op, OPERATOR);
  const row = op.locator('#flows tr[data-flow="orders_to_erp"]');
  await row.waitFor();
  const state = await row.locator('.state').getAttribute('data-state');
  assert.ok(['idle', 'running'].includes(state), 'state ' + state);
  assert.equal(await op.locator('#role').textContent(), 'operator');
  await op.screenshot({ path: artifacts + '/dashboard-flows.png', fullPage: true });
  await row.click();
  await op.locator('h1', { hasText: 'orders_to_erp' }).waitFor();
  await op.locator('#runs tbody tr').first().waitFor();
  await op.locator('button', { hasText: 'Pause' }).waitFor();

  step('the dead letter shows its error and its input record, Chinese text included');
  await op.click('#nav-dlq');
  const letter = op.locator('#dlq tbody tr[data-dead-letter]').first();
  await letter.waitFor();
  const id = await letter.getAttribute('data-dead-letter');
  await letter.click();
  const record = op.locator('#dlq pre.record');
  await record.waitFor();
  const shown = await record.textContent();
  assert.match(shown, /"rebate": 12345678901234\.567891,\n/, 'numbers keep every digit');
  assert.match(shown, /"tags": \[\]\n/);
  const input = JSON.parse(shown);
  assert.equal(input.customer_name, '深圳新客户有限公司');
  assert.equal(input.external_no, 'SO-5');
  await op.screenshot({ path: artifacts + '/dashboard-dead-letter.png', fullPage: true });

  step('after the missing customer is created in the ERP, Replay delivers the order');
  const created = await fetch(erpUrl + '/customers', {
    method: 'POST',
    headers: { 'X-Api-Key': 'erp-test-key', 'Content-Type': 'application/json' },
    body: JSON.stringify({ crm_id: 'C2', name: '深圳新客户有限公司' }),
  });
  assert.equal(created.status, 201);
  assert.equal((await created.json()).code, 'CUS-000002');
  await letter.locator('button[data-action=replay]').click();
  await gone(op.locator(`#dlq tr[data-dead-letter="${id}"]`), 'the replayed dead letter');
  await op.locator('#dlq-empty').waitFor();  // still gone after the page refreshed the list
  let entry;
  for (let i = 0; i < 100; ++i) {
    entry = await api('/api/v1/dlq/' + id);
    if (entry.status === 'replayed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(entry.status, 'replayed');
  const orders = await (await fetch(erpUrl + '/sales_orders?external_no=SO-5', { headers: { 'X-Api-Key': 'erp-test-key' } })).json();
  assert.equal(orders.items.length, 1, 'SO-5 reached the ERP');
  assert.equal(orders.items[0].customer_code, 'CUS-000002');
  await op.locator('#dlq-count:empty').waitFor({ state: 'attached' });
  await op.screenshot({ path: artifacts + '/dashboard-replayed.png', fullPage: true });
  await reconciliationSteps(op);
  assert.deepEqual(pageErrors, [], 'no script error on the page');
  step('passed; screenshots in ' + artifacts);
} finally {
  await browser.close();
}
