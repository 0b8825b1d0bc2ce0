import { type z } from 'zod';

/**
 * Field paths and zod's constraint messages, never the offending values: the result goes into
 * DLQ headers and logs, where customer data must not appear.
 */
export function describeIssues(error: z.ZodError, max = 5): string {
  const parts = error.issues.slice(0, max).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.code}${issue.code === 'invalid_type' ? ` (expected ${issue.expected})` : ''}`;
  });
  const more = error.issues.length > max ? `; +${error.issues.length - max} more` : '';
  return parts.join('; ') + more;
}
