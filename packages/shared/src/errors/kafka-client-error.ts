/** Wraps a Kafka client error with our code (`KAFKA_ERROR`) and the client's own retriable hint. */
import { PipelineError, type PipelineErrorOptions } from './pipeline-error.js';

export class KafkaClientError extends PipelineError {
  override readonly name = 'KafkaClientError';
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super('KAFKA_ERROR', message, options);
  }
}
