import { describe, expect, it } from 'vitest';
import { buildRequests, interpolate, pick, substitute, type WorkflowContext } from '../../../src/load/requests.js';
import type { StepConfig } from '../../../src/config/types.js';

const step = (over: Partial<StepConfig>): StepConfig => ({ name: 's', method: 'POST', path: '/x', headers: {}, capture: {}, ...over });

describe('workflow requests', () => {
  it('picks dotted paths out of JSON, array indexes included', () => {
    const doc = { id: 'pi_1', data: { items: [{ id: 7 }] } };
    expect(pick(doc, 'id')).toBe('pi_1');
    expect(pick(doc, 'data.items.0.id')).toBe(7);
    expect(pick(doc, 'data.nope.id')).toBeUndefined();
    expect(pick('text', 'id')).toBeUndefined();
  });

  it('substitutes whole-string variables with their typed value and interpolates the rest', () => {
    const vars = { id: 'a/b', n: 42 };
    expect(substitute({ a: '${n}', b: 'x-${id}', c: ['${id}'], d: 1 }, vars)).toEqual({ a: 42, b: 'x-a/b', c: ['a/b'], d: 1 });
    expect(interpolate('/carts/${id}', vars, encodeURIComponent)).toBe('/carts/a%2Fb');
  });

  it('captures into the context and restarts the workflow when a step fails', () => {
    const [first, second] = buildRequests([
      step({ path: '/intents', json: { amount: 1 }, capture: { intentId: 'id' } }),
      step({ path: '/carts/${intentId}', json: { intentId: '${intentId}' } }),
    ]);
    expect(first!.body).toBe('{"amount":1}');
    const ctx: WorkflowContext = {};
    first!.onResponse!(201, '{"id":"pi_9"}', ctx);
    expect(ctx.vars).toEqual({ intentId: 'pi_9' });
    const built = second!.setupRequest!(second!, ctx)!;
    expect(built.path).toBe('/carts/pi_9');
    expect(JSON.parse(built.body!)).toEqual({ intentId: 'pi_9' });

    // A non-2xx, or a 2xx without the captured field, fails the pass: the next step restarts it.
    const failed: WorkflowContext = {};
    first!.onResponse!(500, '{"error":"x"}', failed);
    expect(second!.setupRequest!(second!, failed)).toBeNull();
    const noId: WorkflowContext = {};
    first!.onResponse!(201, '{"other":1}', noId);
    expect(second!.setupRequest!(second!, noId)).toBeNull();
    const notJson: WorkflowContext = {};
    first!.onResponse!(201, 'not json', notJson);
    expect(notJson.failed).toBe(true);
  });

  it('a single request needs no per-request work', () => {
    const [only] = buildRequests([step({ method: 'GET', path: '/api/products' })]);
    expect(only!.setupRequest).toBeUndefined();
    expect(only!.onResponse).toBeUndefined();
  });
});
