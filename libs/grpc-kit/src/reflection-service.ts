/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha) that serves the exact
 * FileDescriptorProtos built by buf. Reflection built from protobufjs descriptors lists services
 * but grpcurl and `buf curl` cannot describe or call them (empty dependency lists, relative type
 * names), so every answer here is a byte-for-byte copy of buf's output.
 * Acceptance: e2e/src/grpc-tools.e2e.test.ts drives grpcurl and buf curl against every service.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { FileDescriptorProtoSchema, type DescriptorProto, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import type { Server, ServerDuplexStream, ServiceDefinition } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, type PackageDefinition } from '@grpc/proto-loader';

import type { GrpcService } from './grpc-service.js';

interface IndexedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly dependencies: readonly string[];
}

interface ReflectionRequest {
  host?: string;
  file_by_filename?: string;
  file_containing_symbol?: string;
  file_containing_extension?: { containing_type?: string; extension_number?: number };
  all_extension_numbers_of_type?: string;
  list_services?: string;
}

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

export class DescriptorIndex {
  private readonly files = new Map<string, IndexedFile>();
  private readonly symbols = new Map<string, string>();
  private definitions: PackageDefinition | undefined;
  readonly serviceNames: readonly string[];

  constructor(readonly descriptorSet: Uint8Array) {
    const services: string[] = [];
    const reader = new BinaryReader(descriptorSet);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field !== 1 || wireType !== WireType.LengthDelimited) {
        reader.skip(wireType);
        continue;
      }
      const bytes = reader.bytes();
      const file = fromBinary(FileDescriptorProtoSchema, bytes);
      if (this.files.has(file.name)) continue;
      this.files.set(file.name, { name: file.name, bytes, dependencies: file.dependency });
      this.indexFile(file, services);
    }
    this.serviceNames = services;
  }

  private indexFile(file: FileDescriptorProto, services: string[]): void {
    const scope = file.package ? `${file.package}.` : '';
    const add = (symbol: string): void => {
      if (!this.symbols.has(symbol)) this.symbols.set(symbol, file.name);
    };
    const addMessage = (message: DescriptorProto, prefix: string): void => {
      const name = `${prefix}${message.name}`;
      add(name);
      for (const field of message.field) add(`${name}.${field.name}`);
      for (const nested of message.nestedType) addMessage(nested, `${name}.`);
      for (const nestedEnum of message.enumType) add(`${name}.${nestedEnum.name}`);
    };
    for (const message of file.messageType) addMessage(message, scope);
    for (const enumType of file.enumType) {
      add(`${scope}${enumType.name}`);
      for (const value of enumType.value) add(`${scope}${value.name}`);
    }
    for (const service of file.service) {
      const name = `${scope}${service.name}`;
      add(name);
      services.push(name);
      for (const method of service.method) add(`${name}.${method.name}`);
    }
  }

  /** The file and everything it imports, transitively, the file itself first. */
  closure(fileName: string): Uint8Array[] | undefined {
    if (!this.files.has(fileName)) return undefined;
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (name: string): void => {
      const file = this.files.get(name);
      if (!file || seen.has(name)) return;
      seen.add(name);
      out.push(file.bytes);
      file.dependencies.forEach(visit);
    };
    visit(fileName);
    return out;
  }

  fileOfSymbol(symbol: string): string | undefined {
    return this.symbols.get(symbol.replace(/^\./, ''));
  }

  /** grpc-js service definitions built from the same descriptors (used for the reflection service itself). */
  serviceDefinition(fullName: string): ServiceDefinition {
    this.definitions ??= loadFileDescriptorSetFromBuffer(Buffer.from(this.descriptorSet), {
      keepCase: true,
      longs: Number,
      defaults: false,
      oneofs: true,
    });
    const definition = this.definitions[fullName];
    // Message and enum entries carry a `format`; services are plain method maps.
    if (definition === undefined || 'format' in definition) throw new Error(`descriptor set has no service ${fullName}`);
    return definition;
  }
}

function answer(index: DescriptorIndex, request: ReflectionRequest, servedServices: readonly string[]): Record<string, unknown> {
  const base = { valid_host: request.host ?? '', original_request: request };
  const files = (fileName: string | undefined, what: string): Record<string, unknown> => {
    const closure = fileName === undefined ? undefined : index.closure(fileName);
    if (closure === undefined) return { ...base, error_response: { error_code: NOT_FOUND, error_message: `${what} not found` } };
    return { ...base, file_descriptor_response: { file_descriptor_proto: closure.map((bytes) => Buffer.from(bytes)) } };
  };
  if (request.list_services !== undefined) {
    return { ...base, list_services_response: { service: servedServices.map((name) => ({ name })) } };
  }
  if (request.file_by_filename !== undefined) return files(request.file_by_filename, `file ${request.file_by_filename}`);
  if (request.file_containing_symbol !== undefined) {
    return files(index.fileOfSymbol(request.file_containing_symbol), `symbol ${request.file_containing_symbol}`);
  }
  if (request.all_extension_numbers_of_type !== undefined) {
    // alertgate's contracts define no extensions; the answer is an empty list for known types.
    const known = index.fileOfSymbol(request.all_extension_numbers_of_type) !== undefined;
    if (!known) return { ...base, error_response: { error_code: NOT_FOUND, error_message: `type ${request.all_extension_numbers_of_type} not found` } };
    return { ...base, all_extension_numbers_response: { base_type_name: request.all_extension_numbers_of_type, extension_number: [] } };
  }
  if (request.file_containing_extension !== undefined) {
    return { ...base, error_response: { error_code: NOT_FOUND, error_message: 'no extensions are defined' } };
  }
  return { ...base, error_response: { error_code: UNIMPLEMENTED, error_message: 'unsupported reflection request' } };
}

export const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;

/**
 * Both reflection versions over one index. `servedServices` is what `list` shows: the services
 * actually mounted on this server, not everything the descriptor set happens to contain.
 */
export function createReflectionServices(index: DescriptorIndex, servedServices: () => readonly string[]): GrpcService[] {
  return REFLECTION_SERVICES.map((name) => {
    const definition = index.serviceDefinition(name);
    const implementation = {
      ServerReflectionInfo(call: ServerDuplexStream<ReflectionRequest, Record<string, unknown>>): void {
        call.on('data', (request: ReflectionRequest) => {
          call.write(answer(index, request, servedServices()));
        });
        call.on('end', () => call.end());
        call.on('error', () => call.end());
      },
    };
    return { name, addToServer: (server: Server) => server.addService(definition, implementation) };
  });
}
