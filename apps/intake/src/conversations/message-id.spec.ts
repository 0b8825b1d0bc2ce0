import fc from 'fast-check';
import { ApiError } from '@app/http';
import { chatMessageKey, MAX_MESSAGE_ID_LENGTH, normaliseMessageId } from './message-id';

describe('Message-IDs', () => {
  it.each([
    ['<abc@mail.example>', 'abc@mail.example'],
    ['abc@mail.example', 'abc@mail.example'],
    ['  << abc@mail.example >>  ', 'abc@mail.example'],
    ['<a<b>c>', 'a<b>c'],
  ])('normalises %j to %j', (raw, expected) => {
    expect(normaliseMessageId(raw)).toBe(expected);
  });

  it('refuses an id longer than 998 bytes, naming the header', () => {
    const error = (() => {
      try {
        return normaliseMessageId(`<${'é'.repeat(500)}>`, 'In-Reply-To');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('message_id_too_long');
    expect((error as ApiError).message).toContain('In-Reply-To');
    expect(normaliseMessageId('a'.repeat(MAX_MESSAGE_ID_LENGTH))).toHaveLength(MAX_MESSAGE_ID_LENGTH);
  });

  it('never produces a key that a chat message has', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 50 }),
        fc.string({ minLength: 1, maxLength: 50 }),
        (raw, conversation, message) => {
          expect(normaliseMessageId(raw).startsWith('<')).toBe(false);
          expect(normaliseMessageId(chatMessageKey(conversation, message))).not.toBe(
            chatMessageKey(conversation, message),
          );
        },
      ),
    );
  });

  it('keys chat messages unambiguously', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })),
        fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })),
        ([c1, m1], [c2, m2]) => {
          fc.pre(c1 !== c2 || m1 !== m2);
          expect(chatMessageKey(c1, m1)).not.toBe(chatMessageKey(c2, m2));
        },
      ),
    );
    expect(chatMessageKey('x:a', '1')).not.toBe(chatMessageKey('x', 'a:1'));
  });
});
