import { z } from "zod";
import { BYTE_SIZE_PATTERN } from "../parse/parse-byte-size.js";
import { COMPOSE_DURATION_PATTERN } from "../../duration.js";

/** Building blocks shared by the Compose subset's schema. Shapes only: no transforms, no defaults. */

const DURATION_HINT = 'expected a duration like "10s", "1m30s" or "500ms"';
const SIZE_HINT = 'expected a size like "512m", "1g", "100k" or a number of bytes';

export const duration = z
  .string({ error: DURATION_HINT })
  .regex(COMPOSE_DURATION_PATTERN, { error: DURATION_HINT })
  .describe('A Compose duration: "10s", "1m30s", "500ms", "1h", "2us".');

export const byteSize = z
  .union([z.int().nonnegative(), z.string().regex(BYTE_SIZE_PATTERN, { error: SIZE_HINT })], { error: SIZE_HINT })
  .describe('Bytes, or a size with a binary unit: "512m", "1g", "100k", "1024b".');

export const portNumber = z.int().min(1).max(65535);

/** YAML writes `8080`, `true` and `0.5` unquoted; Compose turns them into strings. */
export const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: "expected a string, number or boolean",
});

export const stringList = z.array(z.string());

export const stringOrList = z.union([z.string(), stringList], { error: "expected a string or a list of strings" });

/** `driver_opts`, `logging.options`: a mapping of plain values. */
export const scalarMap = z.record(z.string(), scalar);

/** `labels`: `KEY=VALUE` strings or a mapping; a missing value means the empty string. */
export const labelsSchema = z
  .union([stringList, z.record(z.string(), z.union([scalar, z.null()]))], {
    error: 'expected a mapping or a list of "KEY=VALUE" strings',
  })
  .describe('Labels as a mapping or a list of "KEY=VALUE" strings.');
