import { deadLetterTopic, type Topic } from '@app/contracts';

/** Maps logical topic names to the deployment's physical ones (`KAFKA_TOPIC_PREFIX`). */
export class TopicNames {
  constructor(private readonly prefix: string) {}

  physical(topic: Topic | string): string {
    return `${this.prefix}${topic}`;
  }

  logical(physical: string): string {
    return this.prefix && physical.startsWith(this.prefix) ? physical.slice(this.prefix.length) : physical;
  }

  deadLetter(topic: Topic | string): string {
    return this.physical(deadLetterTopic(topic));
  }
}
