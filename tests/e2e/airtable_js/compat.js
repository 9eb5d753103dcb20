// Airtable.js, the official client, used as its README shows against the endpoint, token and
// base in the environment; prints what each call gave back as one JSON object on stdout.
// tests/e2e/test_airtable_js.py runs it and asserts on that object.
'use strict';

const Airtable = require('airtable');

const { AIRTABLE_ENDPOINT_URL, AIRTABLE_PAT, AIRTABLE_BASE_ID } = process.env;
const base = new Airtable({ apiKey: AIRTABLE_PAT, endpointUrl: AIRTABLE_ENDPOINT_URL }).base(
  AIRTABLE_BASE_ID,
);
const tasks = base('Tasks');

// The edge allows 5 requests a second per base, as Airtable does; the client retries a 429
// only after 5 s or more, so the steps keep under the limit instead.
const pause = () => new Promise((resolve) => setTimeout(resolve, 250));

const shown = (record) => ({ id: record.id, fields: record.fields });

// The AirtableError a call fails with, as plain data (null if it did not fail).
async function failure(call) {
  try {
    await call();
  } catch (err) {
    return {
      isAirtableError: err instanceof Airtable.Error,
      error: err.error,
      statusCode: err.statusCode,
      message: err.message,
    };
  }
  return null;
}

async function main() {
  const out = {};
  const step = async (name, call) => {
    out[name] = await call();
    await pause();
  };

  // Records: one, then a batch.
  const plan = await tasks.create({ Name: 'Plan', Points: 3 });
  out.created = { ...shown(plan), createdTime: plan._rawJson.createdTime };
  await pause();
  const batch = await tasks.create(
    Array.from({ length: 10 }, (_, i) => ({ fields: { Name: `Task ${i}`, Points: i } })),
  );
  out.batch = batch.map(shown);
  await pause();
  await step('found', async () => shown(await tasks.find(plan.id)));

  // Pages.
  await step('pageSizes', async () => {
    const sizes = [];
    await tasks.select({ pageSize: 4 }).eachPage((records, fetchNextPage) => {
      sizes.push(records.length);
      fetchNextPage();
    });
    return sizes;
  });
  await step('allCount', async () => (await tasks.select({ pageSize: 5 }).all()).length);
  await step('firstPage', async () =>
    (await tasks.select({ pageSize: 3, sort: [{ field: 'Points' }] }).firstPage()).map((r) =>
      r.get('Name'),
    ),
  );

  // Filters and sorts, by GET and by POST (listRecords), and cells as strings.
  await step('filtered', async () =>
    (
      await tasks
        .select({
          filterByFormula: '{Points} >= 8',
          sort: [{ field: 'Points', direction: 'desc' }],
          fields: ['Name', 'Points'],
        })
        .all()
    ).map((r) => r.fields),
  );
  await step('filteredByPost', async () =>
    (
      await tasks
        .select({
          method: 'post',
          filterByFormula: 'AND({Points} > 2, {Points} < 5)',
          sort: [{ field: 'Name', direction: 'asc' }],
        })
        .all()
    ).map((r) => r.get('Name')),
  );
  await step('asStrings', async () =>
    (
      await tasks
        .select({
          filterByFormula: "{Name} = 'Task 9'",
          cellFormat: 'string',
          timeZone: 'utc',
          userLocale: 'en-us',
        })
        .all()
    ).map((r) => r.fields),
  );

  // Update (PATCH), one and several; replace (PUT).
  await step('updated', async () => shown(await tasks.update(plan.id, { Points: 5 })));
  await step('updatedMany', async () =>
    (
      await tasks.update([
        { id: batch[0].id, fields: { Done: true } },
        { id: batch[1].id, fields: { Points: 11 } },
      ])
    ).map(shown),
  );
  await step('replaced', async () => shown(await tasks.replace(plan.id, { Name: 'Plan B' })));

  // Upsert: one record matched by Name and updated, one created.
  await step('upserted', async () =>
    (
      await tasks.update(
        [{ fields: { Name: 'Task 2', Points: 20 } }, { fields: { Name: 'Brand new', Points: 1 } }],
        { performUpsert: { fieldsToMergeOn: ['Name'] } },
      )
    ).map(shown),
  );

  // Typecast: a number given as text.
  await step('typecast', async () =>
    shown(await tasks.create({ Name: 'Typed', Points: '42' }, { typecast: true })),
  );
  await step('notTypecast', () => failure(() => tasks.create({ Name: 'Untyped', Points: 'x' })));

  // Delete, one and several.
  await step('destroyed', async () => (await tasks.destroy(plan.id)).id);
  await step('destroyedMany', async () =>
    (await tasks.destroy([batch[3].id, batch[4].id])).map((r) => r.id),
  );

  // Errors.
  await step('missingRecord', () => failure(() => tasks.find(plan.id)));
  await step('missingTable', () => failure(() => base('No such table').select().firstPage()));
  await step('unknownField', () => failure(() => tasks.create({ Nope: 1 })));
  await step('badFormula', () =>
    failure(() => tasks.select({ filterByFormula: '{Points} >' }).firstPage()),
  );

  await step('remaining', async () =>
    (await tasks.select({ sort: [{ field: 'Name' }] }).all()).map((r) => r.get('Name')),
  );
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : JSON.stringify(err)}\n`);
  process.exit(1);
});
