import { describeWarning } from './process-warnings';

function warning(name: string, message: string, frames: string[]): Error {
  const error = new Error(message);
  error.name = name;
  error.stack = [`${name}: ${message}`, ...frames.map((frame) => `    at ${frame}`)].join('\n');
  return error;
}

describe('describeWarning', () => {
  it("drops kafkajs' negative idle timer, which Node clamps to the 1 ms kafkajs means", () => {
    const idle = warning('TimeoutNegativeWarning', '-1796210680385 is a negative number.', [
      'new Timeout (node:internal/timers:233:17)',
      'RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)',
    ]);
    expect(describeWarning(idle)).toBeUndefined();
  });

  it('logs a negative timer of anyone else, and every other warning', () => {
    const ours = warning('TimeoutNegativeWarning', '-5 is a negative number.', [
      'new Timeout (node:internal/timers:233:17)',
      'scheduleRetry (/app/dist/apps/notifications/src/deliveries/delivery-retries.js:40:5)',
    ]);
    expect(describeWarning(ours)).toEqual({
      name: 'TimeoutNegativeWarning',
      message: '-5 is a negative number.',
    });
    const deprecation = Object.assign(warning('DeprecationWarning', 'Buffer() is deprecated', []), {
      code: 'DEP0005',
    });
    expect(describeWarning(deprecation)).toEqual({
      name: 'DeprecationWarning',
      code: 'DEP0005',
      message: 'Buffer() is deprecated',
    });
  });
});
