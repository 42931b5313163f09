/**
 * Word lists for people and places: given names, family names, streets, and per country the cities
 * (with region and postal-code prefix), the tax rate and the phone format. Compact on purpose:
 * combinations, not long lists, make the data varied. A few names carry accents or apostrophes so
 * the UTF-8 and escaping paths are exercised too.
 */

export const FIRST_NAMES: readonly string[] = (
  'James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan ' +
  'Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Sandra Mark Betty Steven ' +
  'Ashley Paul Emily Andrew Kimberly Joshua Donna Kevin Michelle Brian Carol George Amanda Timothy Melissa ' +
  'Ryan Deborah Jacob Stephanie Nicholas Rebecca Eric Laura Jonathan Helen Noah Olivia Liam Emma Lucas Mia ' +
  'Ethan Chloe Oliver Sophie Hannah Lukas Lena Maximilian Léa Hugo Camille Chloé Mateo Sofía José Zoë ' +
  'Aarav Priya Wei Mei Hiroshi Yuki Omar Fatima Kwame Amara Sean Niamh Anders Ingrid Lars Freya'
).split(' ');

export const LAST_NAMES: readonly string[] = (
  'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson ' +
  'Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis ' +
  'Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall ' +
  'Rivera Campbell Mitchell Carter Roberts Patel Shah Chen Wang Kim Park Tanaka Sato Müller Schmidt Schneider ' +
  'Fischer Weber Dubois Martin Bernard Moreau Laurent Rossi Bianchi Núñez Jansen de_Vries van_Dijk Bakker ' +
  "O'Brien O'Connor Murphy Kelly Walsh Byrne Andersson Johansson Larsen Nielsen Okafor Mensah Haddad Cohen"
)
  .split(' ')
  .map((n) => n.replace('_', ' '));

/** Street name stems, combined with a country's street patterns. */
export const STREETS: readonly string[] = (
  'Oak Maple Cedar Pine Elm Willow Birch Chestnut Walnut Spruce Park Lake Hill River Meadow Forest Spring ' +
  'Sunset Highland Church Mill Station Market Bridge Garden Orchard Victoria Queen King Prince Union Liberty ' +
  'Franklin Lincoln Washington Jefferson Madison Harbor Valley Ridge Cherry Linden Rose'
).split(' ');

/** Reserved example domains (RFC 2606 and friends): realistic shape, never someone's real mailbox. */
export const EMAIL_DOMAINS: readonly string[] = [
  'example.com',
  'example.com',
  'example.com',
  'example.net',
  'example.net',
  'example.org',
  'mail.example',
  'inbox.example',
  'post.example',
];

export type CountryCode = 'US' | 'CA' | 'GB' | 'DE' | 'FR' | 'AU' | 'NL';

export interface City {
  name: string;
  /** State, province, or county; null where addresses usually carry none. */
  region: string | null;
  /** Postal-code prefix the city's codes start with. */
  postal: string;
}

export interface Country {
  code: CountryCode;
  /** Share of customers, relative. */
  weight: number;
  /** Sales tax or VAT in basis points (7.25% = 725). */
  taxBasisPoints: number;
  /** Shipping fee in cents, and the order value (cents) from which shipping is free. */
  shippingFee: number;
  freeShippingFrom: number;
  /** Dialling prefix for phone numbers. */
  dial: string;
  cities: readonly City[];
}

function cities(spec: string): City[] {
  return spec.split(';').map((entry) => {
    const [name, region, postal] = entry.split('|') as [string, string, string];
    return { name, region: region === '' ? null : region, postal };
  });
}

export const COUNTRIES: readonly Country[] = [
  {
    code: 'US',
    weight: 62,
    taxBasisPoints: 725,
    shippingFee: 599,
    freeShippingFrom: 5000,
    dial: '+1',
    cities: cities(
      'New York|NY|100;Los Angeles|CA|900;Chicago|IL|606;Houston|TX|770;Phoenix|AZ|850;Philadelphia|PA|191;' +
        'San Antonio|TX|782;San Diego|CA|921;Dallas|TX|752;Austin|TX|787;Seattle|WA|981;Denver|CO|802;' +
        'Boston|MA|021;Portland|OR|972;Atlanta|GA|303;Miami|FL|331;Minneapolis|MN|554;Nashville|TN|372',
    ),
  },
  {
    code: 'CA',
    weight: 8,
    taxBasisPoints: 1300,
    shippingFee: 1299,
    freeShippingFrom: 10000,
    dial: '+1',
    cities: cities(
      'Toronto|ON|M5V;Montréal|QC|H2X;Vancouver|BC|V6B;Calgary|AB|T2P;Ottawa|ON|K1P;Halifax|NS|B3H',
    ),
  },
  {
    code: 'GB',
    weight: 10,
    taxBasisPoints: 2000,
    shippingFee: 1499,
    freeShippingFrom: 10000,
    dial: '+44',
    cities: cities(
      'London||SW1A;London||EC2A;Manchester||M1;Birmingham||B1;Leeds||LS1;Glasgow||G1;Bristol||BS1;Edinburgh||EH1',
    ),
  },
  {
    code: 'DE',
    weight: 7,
    taxBasisPoints: 1900,
    shippingFee: 1499,
    freeShippingFrom: 10000,
    dial: '+49',
    cities: cities(
      'Berlin|Berlin|10;Hamburg|Hamburg|20;München|Bayern|80;Köln|Nordrhein-Westfalen|50;Frankfurt am Main|Hessen|60',
    ),
  },
  {
    code: 'FR',
    weight: 5,
    taxBasisPoints: 2000,
    shippingFee: 1499,
    freeShippingFrom: 10000,
    dial: '+33',
    cities: cities(
      'Paris|Île-de-France|75;Lyon|Auvergne-Rhône-Alpes|69;Marseille|Provence-Alpes-Côte d’Azur|13;Toulouse|Occitanie|31;Nantes|Pays de la Loire|44',
    ),
  },
  {
    code: 'AU',
    weight: 4,
    taxBasisPoints: 1000,
    shippingFee: 1999,
    freeShippingFrom: 15000,
    dial: '+61',
    cities: cities('Sydney|NSW|2;Melbourne|VIC|3;Brisbane|QLD|4;Perth|WA|6;Adelaide|SA|5'),
  },
  {
    code: 'NL',
    weight: 4,
    taxBasisPoints: 2100,
    shippingFee: 1499,
    freeShippingFrom: 10000,
    dial: '+31',
    cities: cities(
      'Amsterdam|Noord-Holland|10;Rotterdam|Zuid-Holland|30;Utrecht|Utrecht|35;Eindhoven|Noord-Brabant|56',
    ),
  },
];

/** US area codes used for phone numbers (with the fictional 555-01xx exchange). */
export const US_AREA_CODES: readonly string[] = [
  '212',
  '213',
  '312',
  '415',
  '512',
  '617',
  '206',
  '303',
  '404',
  '305',
];

/** Canadian area codes. */
export const CA_AREA_CODES: readonly string[] = ['416', '514', '604', '403', '613', '902'];

/** Street patterns: English-speaking countries put the number first and a suffix last. */
export const STREET_SUFFIXES: Readonly<Record<'short' | 'GB', readonly string[]>> = {
  short: ['St', 'Ave', 'Rd', 'Ln', 'Dr', 'Ct', 'Pl', 'Way', 'Blvd'],
  GB: ['Road', 'Street', 'Lane', 'Close', 'Gardens', 'Terrace', 'Crescent'],
};

/** Local street names for the countries that write the number after the street. */
export const LOCAL_STREETS: Readonly<Record<'DE' | 'FR' | 'NL', readonly string[]>> = {
  DE: [
    'Hauptstraße',
    'Lindenstraße',
    'Schillerstraße',
    'Goethestraße',
    'Bahnhofstraße',
    'Gartenweg',
    'Kirchweg',
    'Bergallee',
  ],
  FR: [
    'rue de la Paix',
    'rue Victor Hugo',
    'rue du Moulin',
    'rue des Lilas',
    'avenue Voltaire',
    'boulevard de la République',
  ],
  NL: ['Kerkstraat', 'Molenweg', 'Dorpsstraat', 'Lindenlaan', 'Prinsengracht', 'Stationsweg'],
};
