// JSON objects as the annotations and NetworkAttachmentDefinitions carry them.
type Rec = Record<string, unknown>;
export const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
