/**
 * The response side of the EC2 Query protocol: XML in the 2016-11-15 namespace, lists as `<item>`
 * elements. Response objects are written with the XML element names as keys.
 */

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export type XmlValue = string | number | boolean | null | undefined | XmlObject | readonly XmlValue[];
export interface XmlObject {
  readonly [element: string]: XmlValue;
}

export const xmlEscape = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

function content(value: XmlValue): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => `<item>${content(item)}</item>`).join('');
  if (typeof value === 'object') return elements(value as XmlObject);
  return xmlEscape(String(value));
}

function elements(object: XmlObject): string {
  return Object.entries(object)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => `<${name}>${content(value)}</${name}>`)
    .join('');
}

/** `<ActionResponse xmlns=…><requestId>…</requestId>…</ActionResponse>`. */
export function responseXml(action: string, requestId: string, body: XmlObject): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<${action}Response xmlns="${EC2_NAMESPACE}"><requestId>${requestId}</requestId>${elements(body)}</${action}Response>`
  );
}
