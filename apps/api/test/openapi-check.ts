import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Express } from 'express';
import { expect } from 'vitest';
import type { Reply } from './helpers.js';

// ajv-formats is CommonJS: under ESM interop its plugin may arrive as the module or under `default`.
type AddFormats = typeof addFormatsModule.default;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

type Json = Record<string, unknown>;
export interface OpenApiDoc {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: Json & { headers?: Record<string, HeaderObject> };
}
interface HeaderObject {
  required?: boolean;
  schema?: Json;
}
interface ResponseObject {
  content?: Record<string, unknown>;
  headers?: Record<string, { $ref: string } | HeaderObject>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
  requestBody?: { content: Record<string, unknown> };
}

const SCHEMA_ID = 'urn:openapi:schema:';
const rewrite = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', `"${SCHEMA_ID}`));

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Checks real responses against the served document with ajv (JSON Schema 2020-12, the dialect
 * of OpenAPI 3.1) and records which statuses each operation was seen answering.
 */
export class DocChecker {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly seen = new Map<string, Set<number>>();

  constructor(readonly doc: OpenApiDoc) {
    addFormats(this.ajv);
    // OpenAPI annotations ajv does not know; they never change what validates.
    this.ajv.addKeyword('example');
    // Each component schema on its own id, references rewritten to it: ajv then compiles only
    // real JSON Schema, never the document around it.
    const schemas = (rewrite(doc.components) as { schemas?: Record<string, Json> }).schemas ?? {};
    for (const [name, schema] of Object.entries(schemas))
      this.ajv.addSchema(schema, `${SCHEMA_ID}${name}`);
  }

  operations(): string[] {
    return Object.entries(this.doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`),
    );
  }

  private validator(schema: unknown, where: string): ValidateFunction {
    if (schema === undefined) throw new Error(`no schema at ${where}`);
    let fn = this.compiled.get(where);
    if (!fn) {
      fn = this.ajv.compile(rewrite(schema) as Json);
      this.compiled.set(where, fn);
    }
    return fn;
  }

  private errorsOf(fn: ValidateFunction): string {
    return this.ajv.errorsText(fn.errors, { separator: '\n' });
  }

  /** The request body sent (when it was accepted) must match the documented request schema too. */
  check(method: string, path: string, reply: Reply, sent?: { body?: unknown }): void {
    const m = method.toLowerCase();
    const label = `${method.toUpperCase()} ${path} → ${reply.status}`;
    const operation = this.doc.paths[path]?.[m];
    expect(operation, `${method} ${path} is not in the document`).toBeDefined();
    const response = operation!.responses[String(reply.status)];
    expect(
      response,
      `${label} is not documented; body: ${JSON.stringify(reply.body)}`,
    ).toBeDefined();
    const key = `${method.toUpperCase()} ${path}`;
    if (!this.seen.has(key)) this.seen.set(key, new Set());
    this.seen.get(key)!.add(reply.status);

    for (const [name, declared] of Object.entries(response!.headers ?? {})) {
      const header =
        '$ref' in declared
          ? this.doc.components.headers?.[declared.$ref.split('/').pop()!]
          : (declared as HeaderObject);
      const value = reply.headers.get(name);
      if (header?.required)
        expect(value, `${label}: header ${name} is documented as required`).not.toBeNull();
      if (value !== null && header?.schema) {
        const fn = this.ajv.compile(header.schema);
        expect(fn(value), `${label}: header ${name}=${value}: ${this.errorsOf(fn)}`).toBe(true);
      }
    }

    const media = Object.keys(response!.content ?? {});
    if (media.length === 0) {
      expect(reply.body, `${label} documents no body`).toBe('');
      return;
    }
    const type = (reply.headers.get('content-type') ?? '').split(';')[0]!.trim();
    expect(media, `${label}: content-type ${type}`).toContain(type);
    if (type === 'application/json') {
      const schema = (response!.content?.[type] as { schema?: unknown } | undefined)?.schema;
      const fn = this.validator(schema, `${label} response`);
      expect(fn(reply.body), `${label}: ${this.errorsOf(fn)}\n${JSON.stringify(reply.body)}`).toBe(
        true,
      );
    }
    if (sent?.body !== undefined && reply.status < 300) {
      const schema = (
        operation!.requestBody?.content['application/json'] as { schema?: unknown } | undefined
      )?.schema;
      const fn = this.validator(schema, `${method} ${path} request`);
      expect(fn(sent.body), `${label} request body: ${this.errorsOf(fn)}`).toBe(true);
    }
  }
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

/** `GET /dental/patients/{id}` for every route registered on the Express app, mounted routers included. */
export function expressRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = (prefix + layer.route.path).replace(/:(\w+)/g, '{$1}');
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && method !== '_all') out.push(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle.stack) {
        if (typeof layer.rawPath !== 'string')
          throw new Error('mounted router without a string path');
        walk(layer.handle.stack, layer.rawPath === '/' ? prefix : prefix + layer.rawPath);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}
