// GraphQL Code Generator: typed documents for the operations in src/, from the
// server's exported schema (the same file the server's tests keep current).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  // No documents found is an error (a document the schema does not know always is).
  ignoreNoDocuments: false,
  // Relative imports with `.js` in the generated files, as Node's ES modules need.
  emitLegacyCommonJSImports: false,
  generates: {
    "./src/gql/": {
      preset: "client",
      config: {
        // The schema's one custom scalar: RFC 3339 text on the wire.
        scalars: { DateTime: "string" },
        // Any other custom scalar added to the schema fails generation instead of becoming `any`.
        strictScalars: true,
        // String unions instead of TypeScript enums: nothing is emitted at run time for them.
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: {
        // `getFragmentData` rather than the React-sounding default `useFragment`: this is no hook.
        fragmentMasking: { unmaskFunctionName: "getFragmentData" },
        // Also write persisted-documents.json (hash -> document text) and embed each
        // document's hash, so a client can send `documentId` to a trusted-documents server.
        persistedDocuments: { hashAlgorithm: "sha256" },
      },
    },
  },
};

export default config;
