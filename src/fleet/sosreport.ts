/** Moved: the sosreport reader is src/sources/sosreport/ (the view) and src/diagnose/sosreport.ts (its snapshot). */
export {readSosreport, type SosLayout, type SosreportInfo, type SosreportOptions} from '../diagnose/sosreport.js'
