// Words for the audit log's action codes (the codes stay in the API and the CSV export).

import { lang } from "./i18n.js";

/** code -> [Bahasa Indonesia, English] */
const LABELS = {
  "auth.sign_in": ["Masuk", "Signed in"],
  "auth.sign_in_failed": ["Gagal masuk", "Sign-in failed"],
  "auth.sign_in_locked": ["Masuk dikunci sementara", "Sign-in locked for a while"],
  "auth.sign_out": ["Logout", "Signed out"],
  "auth.password_changed": ["Kata sandi diganti", "Password changed"],
  "audit.export": ["Log audit diunduh", "Audit log exported"],
  "user.create": ["Pengguna dibuat", "User created"],
  "user.disable": ["Pengguna dinonaktifkan", "User disabled"],
  "user.enable": ["Pengguna diaktifkan", "User enabled"],
  "user.password_reset": ["Kata sandi direset", "Password reset"],
  "user.sign_out_everywhere": ["Logout di semua perangkat", "Signed out everywhere"],
  "invite.create": ["Tautan undangan dibuat", "Invite link created"],
  "invite.revoke": ["Tautan undangan dicabut", "Invite link withdrawn"],
  "invite.policy": ["Aturan undangan diubah", "Invite rules changed"],
  "host.admit": ["Peserta diizinkan bergabung", "Participant admitted"],
  "host.admit_invited": ["Semua undangan di ruang tunggu diizinkan", "Everyone invited in the lobby admitted"],
  "host.deny": ["Peserta ditolak", "Participant denied"],
  "host.mute": ["Peserta dibisukan", "Participant muted"],
  "host.mute_all": ["Semua peserta dibisukan", "Everyone muted"],
  "host.unmute_allow": ["Peserta diizinkan bicara", "Participant allowed to unmute"],
  "host.hand_lower": ["Tangan peserta diturunkan", "Participant's hand lowered"],
  "host.floor": ["Peserta diberi giliran bicara", "Participant given the floor"],
  "host.remove": ["Peserta dikeluarkan", "Participant removed"],
  "host.lock": ["Sesi dikunci/dibuka", "Session locked/unlocked"],
  "host.present_allow": ["Izin presentasi diubah", "Permission to present changed"],
  "host.present_stop": ["Presentasi peserta dihentikan", "Participant's presentation stopped"],
  "host.end": ["Sesi diakhiri", "Session ended"],
  "inventory.site_create": ["Lokasi ditambahkan", "Site added"],
  "inventory.site_update": ["Lokasi diubah", "Site changed"],
  "inventory.site_delete": ["Lokasi dihapus", "Site deleted"],
  "inventory.link_update": ["Jaringan diubah", "Link changed"],
  "inventory.webhook_create": ["Webhook ditambahkan", "Webhook added"],
  "inventory.webhook_update": ["Webhook diubah", "Webhook changed"],
  "inventory.webhook_delete": ["Webhook dihapus", "Webhook deleted"],
  "service.create": ["Layanan ditambahkan", "Service added"],
  "service.update": ["Layanan diubah", "Service changed"],
  "service.delete": ["Layanan dihapus", "Service deleted"],
  "service.import": ["Layanan diimpor", "Services imported"],
};

/** The words for an action code (the code itself when it has none yet). @param {string} code */
export function actionLabel(code) {
  const pair = /** @type {Record<string, string[]>} */ (LABELS)[code];
  return pair ? pair[lang() === "en" ? 1 : 0] : code;
}
