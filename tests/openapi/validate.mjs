// Validates an OpenAPI document file: `node tests/openapi/validate.mjs FILE`.
//
// @apidevtools/swagger-parser checks the document against the official OpenAPI 3.1 JSON
// Schema (3.0 and Swagger 2.0 too) and resolves every $ref. For OpenAPI 3.x it makes no
// checks beyond the schema, so two rules of the specification that a schema cannot state
// are checked here: every `{name}` in a path is declared as a required path parameter of
// each of its operations, and operationIds are unique. Exit status 0 when valid; 1 with
// every problem on stderr otherwise; 2 when called wrongly.
import { readFileSync } from "node:fs";
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs OPENAPI.json");
  process.exit(2);
}

const problems = [];
let doc;
try {
  // Parsed here, not by the parser, so that it cannot be mistaken for a URL or YAML.
  doc = JSON.parse(readFileSync(file, "utf8"));
  // validate() dereferences its argument in place: hand it a copy.
  await SwaggerParser.validate(structuredClone(doc));
} catch (e) {
  problems.push(e.message);
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const seen = new Map();
for (const [path, item] of Object.entries(doc?.paths ?? {})) {
  const named = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  for (const method of METHODS.filter((m) => item[m])) {
    const op = item[method];
    const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])].filter(
      (p) => p.in === "path",
    );
    for (const name of named) {
      const p = declared.find((d) => d.name === name);
      if (!p) problems.push(`${method.toUpperCase()} ${path}: path parameter {${name}} is not declared`);
      else if (p.required !== true) problems.push(`${method.toUpperCase()} ${path}: path parameter {${name}} must be required`);
    }
    for (const d of declared.filter((d) => !named.includes(d.name))) {
      problems.push(`${method.toUpperCase()} ${path}: declares path parameter ${d.name}, which the path lacks`);
    }
    if (op.operationId) {
      if (seen.has(op.operationId)) {
        problems.push(`${method.toUpperCase()} ${path}: operationId ${op.operationId} is also ${seen.get(op.operationId)}'s`);
      }
      seen.set(op.operationId, `${method.toUpperCase()} ${path}`);
    }
  }
}

if (problems.length) {
  console.error(`${file}: not a valid OpenAPI document:\n${problems.join("\n")}`);
  process.exit(1);
}
console.log(`${file}: valid OpenAPI ${doc.openapi} (${Object.keys(doc.paths ?? {}).length} paths)`);
