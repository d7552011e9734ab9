/** The gateway: channel adapters (Telegram, Discord, WhatsApp) between the platforms and the API. */
export { startGateway, type Connect, type GatewayOptions, type RunningGateway } from './gateway';
export type { ChannelAdapter } from './channels/channel-adapter';
export { loginWhatsapp } from './channels/whatsapp/whatsapp-connect';
