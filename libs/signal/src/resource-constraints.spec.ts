import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import {
  fitsCharacters,
  NAMESPACE_NAME_PATTERN,
  namespaceNameProblem,
  SPEC_MAX_LENGTH,
  SPEC_MAX_PROPERTIES,
  truncateCharacters,
} from './resource-constraints.js';

interface SchemaNode {
  maxLength?: number;
  maxProperties?: number;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode;
}

const crd = parse(readFileSync(join(__dirname, '..', '..', '..', 'k8s', 'crds', 'remediationrequests.yaml'), 'utf8')) as {
  spec: { versions: { openAPIV3Schema?: { properties: { spec: SchemaNode } }; schema?: { openAPIV3Schema: { properties: { spec: SchemaNode } } } }[] };
};
const specs = crd.spec.versions.map((version) => (version.schema?.openAPIV3Schema ?? version.openAPIV3Schema)?.properties.spec);

describe("resource constraints (the gateway's copy of the RemediationRequest schema)", () => {
  it.each(specs.map((spec, i) => [i, spec] as const))('match every served version of the CRD (version %i)', (_i, spec) => {
    const props = spec?.properties ?? {};
    expect({
      alertname: props['alertname']?.maxLength,
      severity: props['severity']?.maxLength,
      cluster: props['cluster']?.maxLength,
      namespace: props['namespace']?.maxLength,
      targetKind: props['targetResource']?.properties?.['kind']?.maxLength,
      targetName: props['targetResource']?.properties?.['name']?.maxLength,
      labelValue: props['labels']?.additionalProperties?.maxLength,
      annotationValue: props['annotations']?.additionalProperties?.maxLength,
      stormKey: props['storm']?.properties?.['key']?.maxLength,
    }).toEqual(SPEC_MAX_LENGTH);
    expect({ labels: props['labels']?.maxProperties, annotations: props['annotations']?.maxProperties }).toEqual(SPEC_MAX_PROPERTIES);
  });

  it('has a schema to compare with', () => {
    expect(specs.length).toBeGreaterThan(0);
    for (const spec of specs) expect(spec?.properties?.['alertname']).toBeDefined();
  });

  it('accepts exactly the RFC 1123 labels Kubernetes accepts as namespace names', () => {
    for (const good of ['default', 'a', 'kube-system', 'x1', '0', 'a'.repeat(63)]) expect(namespaceNameProblem(good)).toBeUndefined();
    for (const bad of ['', 'Prod', 'Bad_Namespace', 'a'.repeat(64), '../../etc', '-a', 'a-', 'a.b', 'a\nb', 'a\u0000b', 'ԁefault']) {
      expect(NAMESPACE_NAME_PATTERN.test(bad)).toBe(false);
    }
  });

  it('shortens a value to a number of characters, marking the cut', () => {
    expect(truncateCharacters('abc', 3)).toBe('abc');
    expect(truncateCharacters('abcd', 3)).toBe('ab…');
    expect(Array.from(truncateCharacters('😀'.repeat(2000), SPEC_MAX_LENGTH.stormKey))).toHaveLength(SPEC_MAX_LENGTH.stormKey);
  });

  it('counts characters as code points', () => {
    expect(fitsCharacters('😀'.repeat(3), 3)).toBe(true);
    expect(fitsCharacters('😀'.repeat(4), 3)).toBe(false);
    expect(fitsCharacters('abcd', 3)).toBe(false);
    expect(fitsCharacters('abc', 3)).toBe(true);
  });
});
