/** perfgate's version; a test keeps it equal to package.json's. */
export const PERFGATE_VERSION = '1.0.0';
