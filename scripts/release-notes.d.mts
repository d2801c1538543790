/** The notes of one version (tag vX.Y.Z or X.Y.Z) from the text of CHANGELOG.md. */
export function releaseNotes(changelog: string, tag: string): string;
