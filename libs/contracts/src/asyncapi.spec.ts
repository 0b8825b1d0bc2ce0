import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { asyncApiDocument } from './asyncapi';
import { EVENTS } from './registry';
import { ALL_TOPICS } from './topics';

describe('AsyncAPI document', () => {
  const document = asyncApiDocument() as {
    channels: Record<string, { address: string; messages: Record<string, unknown> }>;
    components: { messages: Record<string, { name: string }> };
  };

  it('describes every topic and every event type', () => {
    expect(
      Object.values(document.channels)
        .map((c) => c.address)
        .sort(),
    ).toEqual([...ALL_TOPICS].sort());
    expect(
      Object.values(document.components.messages)
        .map((m) => m.name)
        .sort(),
    ).toEqual(Object.keys(EVENTS).sort());
  });

  it('is committed up to date in docs/asyncapi.json (regenerate with `npm run docs:asyncapi`)', () => {
    const committed: unknown = JSON.parse(
      readFileSync(resolve(__dirname, '../../../docs/asyncapi.json'), 'utf8'),
    );
    expect(committed).toEqual(JSON.parse(JSON.stringify(document)));
  });
});
