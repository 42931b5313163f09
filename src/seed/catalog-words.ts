/**
 * The catalogue's vocabulary: the category tree as an indented outline (two spaces per level;
 * a leaf lists the product nouns it sells after a colon, and its price range in dollars), and
 * the brands and adjectives product names are built from.
 */

export const CATEGORY_OUTLINE = `
Electronics
  Audio
    Headphones: Headphones, Earbuds, Gaming Headset | 15-350
    Speakers: Bluetooth Speaker, Soundbar, Bookshelf Speakers | 25-600
  Computers
    Laptops: Laptop, Ultrabook, Chromebook | 250-2200
    Accessories
      Keyboards: Mechanical Keyboard, Wireless Keyboard | 20-180
      Mice: Wireless Mouse, Gaming Mouse, Trackpad | 12-120
  Phones & Tablets
    Smartphones: Smartphone | 150-1200
    Phone Cases: Phone Case, Screen Protector | 8-60
    Tablets: Tablet, E-Reader | 90-900
  Cameras: Mirrorless Camera, Action Camera, Camera Lens | 90-1800
Home & Kitchen
  Kitchen
    Cookware: Frying Pan, Saucepan, Dutch Oven, Wok | 18-260
    Small Appliances: Blender, Coffee Maker, Toaster, Air Fryer, Kettle | 20-400
    Cutlery: Chef Knife, Knife Set, Cutting Board | 10-220
  Furniture
    Living Room: Sofa, Coffee Table, Bookshelf, Armchair | 80-1500
    Bedroom: Bed Frame, Nightstand, Dresser | 70-1200
  Bedding: Duvet, Pillow, Sheet Set, Throw Blanket | 15-250
  Lighting: Desk Lamp, Floor Lamp, Pendant Light | 15-300
Clothing
  Men
    Tops
      T-Shirts: T-Shirt, Polo Shirt | 10-45
      Shirts: Oxford Shirt, Flannel Shirt | 25-90
    Outerwear: Rain Jacket, Puffer Jacket, Wool Coat | 50-350
    Men's Shoes: Sneakers, Boots, Loafers | 40-220
  Women
    Dresses: Summer Dress, Wrap Dress, Maxi Dress | 25-180
    Women's Tops: Blouse, Knit Sweater, Tank Top | 15-110
    Women's Shoes: Sneakers, Ankle Boots, Sandals | 35-210
  Kids: Kids T-Shirt, Kids Jacket, Pajama Set | 8-70
Sports & Outdoors
  Fitness
    Yoga: Yoga Mat, Yoga Block, Resistance Band | 8-90
    Strength: Dumbbell Set, Kettlebell, Pull-Up Bar | 20-400
  Camping
    Tents: Tent, Tarp | 60-650
    Sleeping Bags: Sleeping Bag, Sleeping Pad | 30-300
  Cycling: Bike Helmet, Bike Light, Bike Lock | 12-180
Books
  Fiction
    Mystery: Mystery Novel | 7-28
    Science Fiction: Science Fiction Novel | 7-30
  Non-Fiction
    Cooking: Cookbook | 12-45
    Biography: Biography | 10-35
  Children's Books: Picture Book, Activity Book | 6-22
Toys & Games
  Board Games: Board Game, Card Game, Puzzle | 10-80
  Building Sets: Building Set, Construction Kit | 15-200
  Outdoor Toys: Water Blaster, Kite, Scooter | 10-150
Beauty
  Skincare: Moisturizer, Serum, Cleanser, Sunscreen | 8-90
  Hair Care: Shampoo, Conditioner, Hair Dryer | 6-250
  Fragrance: Eau de Parfum, Body Mist | 15-160
Garden
  Tools: Pruning Shears, Garden Hose, Trowel Set | 8-90
  Outdoor Furniture: Patio Chair, Garden Bench, Parasol | 40-700
  Plants & Seeds: Seed Kit, Planter | 5-80
`;

export const BRANDS: readonly string[] = (
  'Norvik Altura Brightwell Calder Dunmore Everly Fennick Garnet Halden Ironbark Juniper Kestrel Lumen ' +
  'Marlow Northfield Oakridge Pellham Quill Redwood Solace Tidewater Umber Vantage Westbrook Yarrow Zephyr'
).split(' ');

export const ADJECTIVES: readonly string[] = (
  'Classic Essential Premium Compact Lightweight Ultra Pro Everyday Deluxe Smart Eco Heritage Urban Trail ' +
  'Studio Signature Modern Vintage Soft Rugged'
).split(' ');

export const VARIANTS: readonly string[] =
  'Black White Navy Grey Olive Sand Red Blue Green Charcoal Small Medium Large XL 2-Pack 3-Pack'.split(' ');

export const FEATURES: readonly string[] = [
  'Built to last, with a two-year warranty',
  'Designed for everyday use',
  'Easy to clean and store',
  'Made from responsibly sourced materials',
  'A customer favourite since launch',
  'Ships in recyclable packaging',
  'Tested by our team for comfort and durability',
  'Pairs well with the rest of the collection',
];
