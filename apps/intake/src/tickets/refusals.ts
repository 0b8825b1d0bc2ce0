import { InvalidEventError } from '@app/contracts';
import { ApiError } from '@app/http';

/** A 4xx the domain answers becomes the event's refusal: dead-lettered at once, not retried. */
export async function refusalsAsInvalid(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ApiError && error.getStatus() < 500) {
      throw new InvalidEventError('refused', `${error.code}: ${error.message}`);
    }
    throw error;
  }
}
