// Strings shared by the public service board (layanan.js) and its editor (layanan-kelola.js).

import { register } from "./i18n.js";

register({
  id: {
    "kpt.col.name": "Layanan",
    "kpt.col.kind": "Jenis",
    "kpt.col.duration": "Waktu layanan",
    "kpt.col.where": "Tempat",
    "kpt.kind.perizinan": "Perizinan",
    "kpt.kind.non-perizinan": "Non-perizinan",
  },
  en: {
    "kpt.col.name": "Service",
    "kpt.col.kind": "Kind",
    "kpt.col.duration": "Service time",
    "kpt.col.where": "Where",
    "kpt.kind.perizinan": "Permit",
    "kpt.kind.non-perizinan": "Non-permit",
  },
});
