// Every kind of message a phone sends, as each engine delivers it. Shapes taken from:
// - WAHA: contracts/waha-openapi-2026.7.1.json (WAMessage, ReplyToMessage, PollVotePayload, CallData,
//   GroupV2JoinEvent / LeaveEvent / ParticipantsEvent / UpdateEvent, WAMessageEditedBody) and NOWEB's
//   toWAMessage (devlikeapro/waha src/core/engines/noweb/session.noweb.core.ts: `_data` is the Baileys
//   WebMessageInfo, `replyTo` {id, participant, body}); the encrypted edit is the payload pasted in
//   devlikeapro/waha issue #2168 (message.edited, `_data.message.secretEncryptedMessage`) and #2089.
// - WuzAPI: wmiau.go myEventHandler (asternic/wuzapi; the 2026 fork's handlers add UndecryptableMessage,
//   GroupInfo, JoinedGroup, Picture, CallOffer): postmap {type, event} with `event` the whatsmeow
//   struct as Go JSON (events.Message {Info, Message}, events.GroupInfo {JID, Sender, Timestamp, Name,
//   Join, Leave…}, events.CallOffer {From, Timestamp, CallCreator, CallID, Data}).
// The protobuf message bodies follow WhatsApp's WAProto field names, which both engines pass through.
import { wahaMsg, wuzMsg } from './signed-deliveries.js';

export const VCARD = 'BEGIN:VCARD\nVERSION:3.0\nFN:Jane Doe\nORG:Company Name;\nTEL;type=CELL;type=VOICE;waid=491701234567:+49 170 1234567\nEND:VCARD';

/** The protobuf message of each kind (without wrappers). */
export const PROTO = {
  text: { conversation: 'plain text' },
  link: { extendedTextMessage: { text: 'see https://example.org/a', matchedText: 'https://example.org/a', canonicalUrl: 'https://example.org/a', title: 'Example A', description: 'An example page' } },
  location: { locationMessage: { degreesLatitude: 52.52, degreesLongitude: 13.405, name: 'Brandenburger Tor', address: 'Pariser Platz, Berlin' } },
  contact: { contactMessage: { displayName: 'Jane Doe', vcard: VCARD } },
  poll: { pollCreationMessageV3: { name: 'Lunch?', options: [{ optionName: 'Pizza' }, { optionName: 'Sushi' }], selectableOptionsCount: 1 } },
  template: {
    templateMessage: {
      hydratedTemplate: {
        hydratedTitleText: 'Order #42',
        hydratedContentText: 'Your order has shipped.',
        hydratedFooterText: 'ACME Shop',
        hydratedButtons: [{ index: 0, quickReplyButton: { displayText: 'Thanks', id: 'ok' } }, { index: 1, urlButton: { displayText: 'Track', url: 'https://acme.test/t/42' } }],
      },
    },
  },
  reply: (quoted: string) => ({ extendedTextMessage: { text: 'a reply', contextInfo: { stanzaId: quoted, participant: '4915770000010@s.whatsapp.net', quotedMessage: { conversation: 'orig' } } } }),
};

export const WAHA_CHAT = '4915770000010@c.us';
export const WUZ_CHAT = '4915770000020@s.whatsapp.net';
export const GROUP = '120363000000000001@g.us';

/** WAHA `message` payloads, one per kind (id prefix W). */
export function wahaKinds(): { event: string; payload: object }[] {
  const m = (id: string, message: object, body: string | null, extra: object = {}) => ({ event: 'message', payload: wahaMsg({ id, from: WAHA_CHAT, body, message, extra }) });
  return [
    m('WTEXT', PROTO.text, 'plain text'),
    m('WLINK', PROTO.link, 'see https://example.org/a'),
    m('WLOC', PROTO.location, null, { location: { latitude: '52.52', longitude: '13.405', live: false, name: 'Brandenburger Tor', address: 'Pariser Platz, Berlin' } }),
    m('WVCARD', PROTO.contact, null, { vCards: [VCARD] }),
    m('WPOLL', PROTO.poll, null),
    m('WTPL', PROTO.template, 'Your order has shipped.'),
    // replyTo as NOWEB/GOWS give it: an object whose id is the serialized form.
    m('WREPLY', PROTO.reply('WTEXT'), 'a reply', { replyTo: { id: `false_${WAHA_CHAT}_WTEXT`, participant: WAHA_CHAT, body: 'plain text' } }),
    { event: 'call.received', payload: { id: 'CALLW1', from: WAHA_CHAT, timestamp: Math.floor(Date.now() / 1000), isVideo: true, isGroup: false, _data: {} } },
    { event: 'group.v2.join', payload: { timestamp: Math.floor(Date.now() / 1000), group: { id: GROUP, subject: 'Team WAHA', participants: [] }, _data: {} } },
    { event: 'group.v2.participants', payload: { type: 'join', timestamp: Math.floor(Date.now() / 1000) + 1, group: { id: GROUP }, participants: [{ id: '4915770000011@c.us', role: 'participant' }], _data: {} } },
    { event: 'group.v2.update', payload: { timestamp: Math.floor(Date.now() / 1000) + 2, group: { id: GROUP, subject: 'Team WAHA renamed' }, _data: {} } },
    { event: 'group.v2.participants', payload: { type: 'leave', timestamp: Math.floor(Date.now() / 1000) + 3, group: { id: GROUP }, participants: [{ id: '4915770000011@c.us', role: 'left' }], _data: {} } },
  ];
}

/** WuzAPI posts, one per kind (id prefix Z). */
export function wuzKinds(): { type: string; event: object }[] {
  const m = (id: string, message: object) => ({ type: 'Message', event: wuzMsg({ id, chat: WUZ_CHAT, message }) });
  const now = new Date().toISOString();
  return [
    m('ZTEXT', PROTO.text),
    m('ZLINK', PROTO.link),
    m('ZLOC', PROTO.location),
    m('ZVCARD', PROTO.contact),
    m('ZPOLL', PROTO.poll),
    m('ZTPL', PROTO.template),
    m('ZREPLY', { extendedTextMessage: { text: 'a reply', contextInfo: { stanzaID: 'ZTEXT', participant: WUZ_CHAT } } }),
    { type: 'CallOffer', event: { From: WUZ_CHAT, Timestamp: now, CallCreator: WUZ_CHAT, CallID: 'CALLZ1', RemotePlatform: 'android', RemoteVersion: '2.24', Data: { Tag: 'call', Content: [{ Tag: 'offer', Content: [{ Tag: 'audio' }] }] } } },
    { type: 'JoinedGroup', event: { Reason: '', Type: 'new', JID: GROUP, OwnerJID: WUZ_CHAT, Name: 'Team Wuz', NameSetAt: now, Participants: [] } },
    { type: 'GroupInfo', event: { JID: GROUP, Sender: WUZ_CHAT, Timestamp: now, Join: ['4915770000021@s.whatsapp.net'] } },
    { type: 'GroupInfo', event: { JID: GROUP, Sender: WUZ_CHAT, Timestamp: new Date(Date.now() + 1000).toISOString(), Name: { Name: 'Team Wuz renamed', NameSetAt: now, NameSetBy: WUZ_CHAT } } },
    { type: 'GroupInfo', event: { JID: GROUP, Sender: WUZ_CHAT, Timestamp: new Date(Date.now() + 2000).toISOString(), Leave: ['4915770000021@s.whatsapp.net'] } },
    { type: 'Picture', event: { JID: GROUP, Author: WUZ_CHAT, Timestamp: new Date(Date.now() + 3000).toISOString(), Remove: false, PictureID: '123' } },
  ];
}
