/** perfgate's version; a test keeps it equal to package.json's. */
export const PERFGATE_VERSION = '0.1.0';
