export const LAYERS: string[][];
export function checkImports(src?: string): string[];
