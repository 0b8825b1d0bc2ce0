import { type OpenAPIObject } from '@nestjs/swagger';
import {
  ARRAY_MAX_SIZE,
  ARRAY_MIN_SIZE,
  getMetadataStorage,
  IS_DATE_STRING,
  IS_EMAIL,
  IS_IN,
  IS_INT,
  IS_ISO8601,
  IS_NOT_EMPTY,
  IS_OPTIONAL,
  IS_URL,
  IS_UUID,
  MATCHES,
  MAX,
  MAX_LENGTH,
  MIN,
  MIN_LENGTH,
} from 'class-validator';

type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

/** A validated class: only its name (the schema's) and its identity matter here. */
type DtoClass = abstract new (...args: never[]) => unknown;

type Schema = Record<string, unknown> & {
  type?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
};

/** What one class-validator rule says about a value, in JSON Schema words. */
const RULES: Record<string, (constraints: unknown[], schema: Schema) => Schema> = {
  // @IsOptional() skips every rule for null as well as for a missing field.
  [IS_OPTIONAL]: () => ({ nullable: true }),
  [IS_NOT_EMPTY]: (_, schema) => (schema.type === 'string' ? { minLength: 1 } : {}),
  [MIN_LENGTH]: ([min]) => ({ minLength: min }),
  [MAX_LENGTH]: ([max]) => ({ maxLength: max }),
  [IS_EMAIL]: () => ({ format: 'email' }),
  [IS_URL]: () => ({ format: 'uri' }),
  [IS_UUID]: () => ({ format: 'uuid' }),
  [IS_ISO8601]: () => ({ format: 'date-time' }),
  [IS_DATE_STRING]: () => ({ format: 'date-time' }),
  // A flagged regex (/i, /s) has no JSON Schema spelling; the document then says less, never wrong.
  [MATCHES]: ([pattern]) => (pattern instanceof RegExp && !pattern.flags ? { pattern: pattern.source } : {}),
  [ARRAY_MIN_SIZE]: ([min]) => ({ minItems: min }),
  [ARRAY_MAX_SIZE]: ([max]) => ({ maxItems: max }),
  [MIN]: ([min]) => ({ minimum: min }),
  [MAX]: ([max]) => ({ maximum: max }),
  [IS_INT]: () => ({ type: 'integer' }),
  [IS_IN]: ([values]) => (Array.isArray(values) ? { enum: values } : {}),
};

/**
 * The request DTOs' class-validator rules, copied into their OpenAPI schemas: a length, pattern,
 * format or bound the validator enforces is one the document states, so clients (and the fuzzer)
 * see the same contract the validation pipe applies. A value @ApiProperty sets itself wins. Since
 * the pipe rejects unknown fields, every validated DTO also says `additionalProperties: false`.
 */
export function documentValidationRules(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  for (const [target, rules] of validatedClasses()) {
    const schema = schemas[target.name];
    if (!schema?.properties) continue;
    schema.additionalProperties ??= false;
    for (const rule of rules) {
      const property = schema.properties[rule.propertyName];
      const describe = rule.name ? RULES[rule.name] : undefined;
      if (!property || !describe) continue;
      if (rule.name === IS_OPTIONAL && '$ref' in property) {
        // OpenAPI 3.0 ignores a $ref's siblings: a nullable reference needs the allOf spelling.
        schema.properties[rule.propertyName] = { allOf: [{ $ref: property.$ref }], nullable: true };
        continue;
      }
      const into = rule.each ? property.items : property;
      if (!into || '$ref' in into) continue;
      for (const [key, value] of Object.entries(describe(rule.constraints ?? [], into))) {
        if (value !== undefined) into[key] ??= value;
      }
    }
    Object.values(schema.properties).forEach(allowNullInEnum);
  }
}

/** OpenAPI 3.0 checks `enum` after `nullable`: a nullable enum must list null to take it. */
function allowNullInEnum(property: Schema): void {
  if (property.nullable === true && Array.isArray(property.enum) && !property.enum.includes(null))
    property.enum = [...(property.enum as unknown[]), null];
}

/** Every class with class-validator rules, each with its own and its parents' rules. */
function validatedClasses(): Array<[DtoClass, ValidationMetadata[]]> {
  const storage = getMetadataStorage();
  const own = (storage as unknown as { validationMetadatas?: Map<DtoClass, ValidationMetadata[]> })
    .validationMetadatas;
  if (!(own instanceof Map))
    throw new Error('class-validator no longer keeps validationMetadatas: update openapi-validation.ts');
  return [...own.keys()].map((target) => [
    target,
    storage.getTargetValidationMetadatas(target, '', true, false),
  ]);
}
